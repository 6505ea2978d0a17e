"""End-to-end tests of the feed simulator on a small county run (30 days, 2 days of pings)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from beatbrief.feeds import FEED_NAMES, load_schema
from beatbrief.simulate import run_simulation
from beatbrief.simulate.geo import LocalProjection, wgs84_to_gcj02
from beatbrief.simulate.names import id_check_digit

END = date(2026, 11, 27)
DAYS = 30
SEED = 7
ARGS = {"end": END, "days": DAYS, "seed": SEED, "scale": "county", "ping_days": 2}
PHONE = re.compile(r"1[3-9][0-9]{9}")
ID_CARD = re.compile(r"[0-9]{17}[0-9X]")
FULLWIDTH = re.compile(r"[０-９]")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("clean")
    run_simulation(home, fault_rate=0.0, **ARGS)
    return home


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("faulty")
    run_simulation(home, fault_rate=0.01, **{**ARGS, "ping_days": 1})
    return home


def _truth(home: Path, name: str):
    return json.loads((home / "truth" / name).read_text(encoding="utf-8"))


def read_landed(home: Path, entry: dict) -> pl.DataFrame:
    """A landed file: text formats as all-string frames, Parquet as typed."""
    raw = (home / entry["path"]).read_bytes()
    if entry["format"] == "parquet":
        return pl.read_parquet(raw)
    text = raw.decode(entry["encoding"])  # strict: a wrong encoding raises
    if entry["format"] == "csv":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        frame = pl.DataFrame(rows[1:], schema=dict.fromkeys(rows[0], pl.String), orient="row")
        return frame.with_columns(pl.all().replace("", None))  # an empty CSV field is a null
    records = [json.loads(line) for line in text.splitlines()]
    names = list(records[0])
    as_text = [
        [
            None if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            for v in r.values()
        ]
        for r in records
    ]
    return pl.DataFrame(as_text, schema=dict.fromkeys(names, pl.String), orient="row")


def landed(home: Path, feed: str) -> pl.DataFrame:
    """All landed rows of a feed, with the partition date of the file they came in."""
    frames = [
        read_landed(home, e).with_columns(partition_date=pl.lit(e["partition_date"]))
        for e in _truth(home, "manifest.json")
        if e["feed"] == feed
    ]
    return pl.concat(frames, how="vertical_relaxed")


def _ts(column: str) -> pl.Expr:
    return pl.col(column).str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)


def test_same_arguments_give_identical_bytes(clean, tmp_path):
    run_simulation(tmp_path, fault_rate=0.0, **ARGS)
    files_a = sorted(p.relative_to(clean) for p in clean.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (clean / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_every_landed_file_matches_its_contract_and_the_manifest(clean):
    manifest = _truth(clean, "manifest.json")
    on_disk = {
        p.relative_to(clean).as_posix() for p in (clean / "landing").rglob("*") if p.is_file()
    }
    assert on_disk == {e["path"] for e in manifest}
    assert {e["feed"] for e in manifest} == set(FEED_NAMES)
    for e in manifest:
        frame = read_landed(clean, e)
        assert frame.columns == load_schema(e["feed"]).names, e["path"]
        assert frame.height == e["rows"], e["path"]
        raw = (clean / e["path"]).read_bytes()
        if e["line_ending"] == "crlf":
            assert raw.count(b"\r\n") == raw.count(b"\n") > 0, e["path"]
        if e["encoding"] == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf")
    cases = {(e["format"], e["encoding"]) for e in manifest if e["feed"] == "cases"}
    assert cases == {("csv", "gb18030"), ("csv", "utf-8-sig"), ("jsonl", "utf-8")}
    pings = pl.read_parquet(
        clean / next(e["path"] for e in manifest if e["feed"] == "patrol_pings")
    )
    assert pings.schema["pinged_at"] == pl.Datetime("ms") and pings.schema["device_id"] == pl.String


def test_values_respect_the_contracts(clean):
    for feed in FEED_NAMES:
        schema = load_schema(feed)
        frame = landed(clean, feed)
        for col in schema.columns:
            values = frame[col.name]
            if col.required:
                assert values.null_count() == 0, (feed, col.name)
            if col.values:
                assert set(values.drop_nulls().unique().to_list()) <= set(col.values), (
                    feed,
                    col.name,
                )
    cases = landed(clean, "cases")
    for column, pattern in (("reporter_phone", PHONE), ("reporter_id_card", ID_CARD)):
        assert cases[column].drop_nulls().str.contains(f"^{pattern.pattern}$").all(), column
    ids = cases["reporter_id_card"].drop_nulls().unique().to_list()
    digits = np.array([[int(c) for c in i[:17]] for i in ids])
    assert (id_check_digit(digits) == np.array([i[17] for i in ids])).all()
    assert cases["summary"].str.contains(PHONE.pattern).any()
    assert cases["summary"].str.contains(ID_CARD.pattern).any()


def test_case_records_follow_their_status_history(clean):
    cases = landed(clean, "cases").with_columns(
        _ts("reported_at"), _ts("updated_at"), _ts("occurred_from"), _ts("occurred_to")
    )
    assert (cases["updated_at"].dt.date().cast(pl.String) == cases["partition_date"]).all()
    assert cases["updated_at"].dt.date().max() <= END
    first = cases.sort("updated_at").group_by("case_id", maintain_order=True).first()
    assert (first["status"] == "accepted").all()
    assert (first["partition_date"] == first["reported_at"].dt.date().cast(pl.String)).all()
    assert cases.select(pl.struct("case_id", "updated_at").is_unique().all()).item()
    per_day = first.group_by(pl.col("reported_at").dt.date()).len()["len"]
    assert 40 < per_day.mean() < 80
    window = (cases["occurred_to"] - cases["occurred_from"]).dt.total_hours()
    assert (cases["occurred_from"] <= cases["occurred_to"]).all()
    assert (cases["occurred_to"] <= cases["reported_at"]).all()
    burglary = window.filter(cases["category"] == "burglary")
    assert burglary.min() >= 2 and burglary.max() <= 14
    callbacks = cases.filter(pl.col("callback_result").is_not_null())
    assert callbacks.height > 0
    assert (callbacks.select(_ts("callback_at"))["callback_at"] == callbacks["updated_at"]).all()
    disputes = cases.filter(pl.col("kind") == "dispute")
    assert disputes.filter(pl.col("status") == "closed")["is_dispute_resolved"].null_count() == 0


def _distance_to_own_segment(home: Path, cases: pl.DataFrame, lon, lat) -> np.ndarray:
    """Metres from each case's point to the road segment named in its road_segment_id."""
    segments = landed(home, "road_segments").with_columns(
        pl.col("from_lon", "from_lat", "to_lon", "to_lat").cast(pl.Float64)
    )
    seg = cases.select("road_segment_id").join(
        segments, on="road_segment_id", how="left", maintain_order="left"
    )
    bureau = _truth(home, "bureaus.json")[0]
    proj = LocalProjection(bureau["center_lon"], bureau["center_lat"])
    ax, ay = proj.to_xy(seg["from_lon"].to_numpy(), seg["from_lat"].to_numpy())
    bx, by = proj.to_xy(seg["to_lon"].to_numpy(), seg["to_lat"].to_numpy())
    px, py = proj.to_xy(lon, lat)
    vx, vy = bx - ax, by - ay
    t = np.clip(((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy), 0, 1)
    return np.hypot(px - ax - t * vx, py - ay - t * vy)


def test_gcj02_rows_are_really_shifted(clean):
    cases = landed(clean, "cases").filter(pl.col("road_segment_id").is_not_null())
    shares = cases["coord_system"].value_counts(normalize=True)
    gcj_share = shares.filter(pl.col("coord_system") == "GCJ02")["proportion"].item()
    assert 0.01 < gcj_share < 0.06
    wgs = cases.filter(pl.col("coord_system") == "WGS84")
    lon, lat = (wgs[c].cast(pl.Float64).to_numpy() for c in ("lon", "lat"))
    assert (_distance_to_own_segment(clean, wgs, lon, lat) <= 61).all()
    gcj = cases.filter(pl.col("coord_system") == "GCJ02")
    lon, lat = (gcj[c].cast(pl.Float64).to_numpy() for c in ("lon", "lat"))
    assert np.median(_distance_to_own_segment(clean, gcj, lon, lat)) > 200
    # one fixed-point step of the inverse transform puts them back on their road
    glon, glat = wgs84_to_gcj02(lon, lat)
    back = _distance_to_own_segment(clean, gcj, 2 * lon - glon, 2 * lat - glat)
    assert (back <= 62).all()


def _gi_star(x: np.ndarray, y: np.ndarray, half_m: float, cell_m: float = 250.0) -> np.ndarray:
    """Getis-Ord Gi* z-scores on a square grid with queen neighbours (self included)."""
    n = int(2 * half_m / cell_m)
    grid = np.zeros((n, n))
    np.add.at(grid, (((x + half_m) // cell_m).astype(int), ((y + half_m) // cell_m).astype(int)), 1)
    padded = np.pad(grid, 1)
    window = sum(
        padded[1 + i : n + 1 + i, 1 + j : n + 1 + j] for i in (-1, 0, 1) for j in (-1, 0, 1)
    )
    w, cells = 9.0, grid.size
    mean, sd = grid.mean(), grid.std()
    return (window - mean * w) / (sd * np.sqrt((cells * w - w**2) / (cells - 1)))


def test_planted_hotspots_are_found_by_gi_star(clean):
    bureau = _truth(clean, "bureaus.json")[0]
    proj = LocalProjection(bureau["center_lon"], bureau["center_lat"])
    since = END - timedelta(days=27)
    cases = (
        landed(clean, "cases")
        .filter(pl.col("status") == "accepted")
        .filter(pl.col("coord_system") == "WGS84")
        .filter(pl.col("reported_at").str.slice(0, 10) >= since.isoformat())
    )
    x, y = proj.to_xy(
        cases["lon"].cast(pl.Float64).to_numpy(), cases["lat"].cast(pl.Float64).to_numpy()
    )
    z = _gi_star(x, y, half_m=20_000.0)
    threshold = np.quantile(z[z > 0], 0.95)
    hotspots = _truth(clean, "hotspots.json")
    assert sum(h["kind"] == "stable" for h in hotspots) >= 5
    for h in hotspots:
        assert bureau["lon_min"] < h["center_lon"] < bureau["lon_max"]
        assert bureau["lat_min"] < h["center_lat"] < bureau["lat_max"]
        hx, hy = proj.to_xy(h["center_lon"], h["center_lat"])
        i, j = int((hx + 20_000) // 250), int((hy + 20_000) // 250)
        local = z[i - 1 : i + 2, j - 1 : j + 2].max()
        assert local > 2.58 and local >= threshold, (h["hotspot_id"], local, threshold)
    # the emerging hotspot grows: more cases within its radius in the last week than the first
    [emerging] = [h for h in hotspots if h["kind"] == "emerging"]
    ex, ey = proj.to_xy(emerging["center_lon"], emerging["center_lat"])
    near = cases.filter(
        pl.Series(np.hypot(x - ex, y - ey) <= emerging["radius_m"])
        & pl.col("category").is_in(emerging["categories"])
    )
    day = near["reported_at"].str.slice(0, 10)
    middle = (END - timedelta(days=DAYS // 2)).isoformat()
    first_half, second_half = (day <= middle).sum(), (day > middle).sum()
    assert second_half > 1.5 * first_half + 2, (first_half, second_half)


def test_signal_truth_is_consistent_with_the_landed_cases(clean):
    cases = landed(clean, "cases")
    first = cases.sort("updated_at").group_by("case_id", maintain_order=True).first()
    for z in _truth(clean, "zero_case_communities.json"):
        since = z["zero_since"]
        hits = first.filter(
            (pl.col("community_id") == z["community_id"])
            & (pl.col("reported_at").str.slice(0, 10) >= since)
        )
        assert hits.height == 0, z
    assert len(_truth(clean, "zero_case_communities.json")) >= 3
    [series] = _truth(clean, "near_repeat.json")
    rows = first.filter(pl.col("case_id").is_in(series["case_ids"])).sort("reported_at")
    assert rows.height == len(series["case_ids"]) >= 4
    assert (rows["category"] == "burglary").all()
    bureau = _truth(clean, "bureaus.json")[0]
    proj = LocalProjection(bureau["center_lon"], bureau["center_lat"])
    wgs = rows.filter(pl.col("coord_system") != "GCJ02").drop_nulls("lon")
    x, y = proj.to_xy(
        wgs["lon"].cast(pl.Float64).to_numpy(), wgs["lat"].cast(pl.Float64).to_numpy()
    )
    cx, cy = proj.to_xy(series["center_lon"], series["center_lat"])
    assert (np.hypot(x - cx, y - cy) <= series["radius_m"]).all()
    days = rows.select(_ts("reported_at").dt.date())["reported_at"]
    assert (days.max() - days.min()).days <= series["window_days"] + 1
    assert days.min() >= END - timedelta(days=30)


def test_staffing_truth_matches_the_station_reference(clean):
    stations = landed(clean, "stations").with_columns(pl.col("officer_count").cast(pl.Int64))
    norm = {"urban": 20, "town": 10, "township": 5}
    below = stations.filter(pl.col("officer_count") < pl.col("station_type").replace_strict(norm))
    understaffed = _truth(clean, "understaffed_stations.json")
    assert sorted(s["station_id"] for s in understaffed) == sorted(below["station_id"].to_list())
    assert {s["station_type"] for s in understaffed} == {"urban", "town", "township"}
    assert all(s["officer_count"] < s["norm"] == norm[s["station_type"]] for s in understaffed)
    assert stations.height >= 12 and stations["station_type"].n_unique() == 3
    share = stations["officer_count"].sum() / int(stations["bureau_officer_count"][0])
    assert 0.35 <= share <= 0.45
    communities = landed(clean, "communities")
    assert communities.height >= 120
    population = landed(clean, "population").with_columns(
        pl.col("registered_residents", "floating_residents").cast(pl.Int64)
    )
    first = population.filter(pl.col("as_of_date") == population["as_of_date"].min())
    assert (
        450_000 < first["registered_residents"].sum() + first["floating_residents"].sum() < 550_000
    )


def test_patrols_move_along_roads_at_plausible_speeds(clean):
    teams = _truth(clean, "patrol_teams.json")
    assert {t["assignment"] for t in teams} == {"hotspots", "cold", "general"}
    pings = landed(clean, "patrol_pings")
    per_day = pings.group_by("partition_date").len()["len"]
    assert per_day.min() > 40_000 and per_day.max() < 150_000
    assert (pings["pinged_at"].dt.date().cast(pl.String) == pings["partition_date"]).all()
    assert set(pings["team_id"].unique().to_list()) <= {t["team_id"] for t in teams}
    shifts = landed(clean, "patrol_shifts")
    assert set(pings["shift_id"].unique().to_list()) <= set(shifts["shift_id"].to_list())
    wgs = pings.filter(pl.col("coord_system") == "WGS84").sort("device_id", "pinged_at")
    step = wgs.select(
        dist=((pl.col("lon").diff() * 80_000) ** 2 + (pl.col("lat").diff() * 111_195) ** 2).sqrt(),
        dt=pl.col("pinged_at").diff().dt.total_seconds(),
        same=pl.col("device_id") == pl.col("device_id").shift(),
    ).filter("same")
    kmh = step["dist"] / step["dt"] * 3.6
    assert kmh.quantile(0.999) < 130


def test_clean_run_has_no_faults(clean):
    faults = (clean / "truth" / "faults.csv").read_text(encoding="utf-8").splitlines()
    assert faults == ["feed,partition_date,file_name,record_key,fault_type,column_name"]
    assert _truth(clean, "missing_partitions.json") == []
    cases = landed(clean, "cases")
    assert not cases["lon"].drop_nulls().str.contains(FULLWIDTH.pattern).any()
    assert cases.select(pl.struct(pl.all()).is_duplicated().any()).item() is False


def test_faulty_run_records_every_fault_it_plants(faulty):
    faults = pl.read_csv(faulty / "truth" / "faults.csv", infer_schema=False)
    assert faults["fault_type"].n_unique() >= 9
    assert set(faults["feed"].unique().to_list()) >= {"cases", "patrol_pings"}
    cases = landed(faulty, "cases").with_columns(
        record_key=pl.concat_str("case_id", "updated_at", separator="|")
    )
    checks = {
        "swapped_lat_lon": lambda r: float(r["lat"]) > 100,
        "zero_coordinates": lambda r: float(r["lon"]) == float(r["lat"]) == 0,
        "fullwidth_digits": lambda r: bool(
            FULLWIDTH.search(r["lon"] or "") or FULLWIDTH.search(r["lat"] or "")
        ),
        "occurred_to_after_reported": lambda r: r["occurred_to"] > r["reported_at"],
        "unknown_station_id": lambda r: r["station_id"].endswith("990000"),
        "value_outside_set": lambda r: any(
            r[c] not in load_schema("cases").column(c).values
            for c in ("kind", "category", "status", "place_type")
        ),
    }
    case_faults = faults.filter(pl.col("feed") == "cases")
    for fault in case_faults.iter_rows(named=True):
        rows = cases.filter(pl.col("record_key") == fault["record_key"])
        if fault["fault_type"] == "duplicate_row":
            assert rows.height == 2 and rows.n_unique() == 1, fault
        elif fault["fault_type"] in checks:
            assert any(checks[fault["fault_type"]](r) for r in rows.iter_rows(named=True)), fault
    [missing] = _truth(faulty, "missing_partitions.json")
    lost = date.fromisoformat(missing["partition_date"])
    assert lost <= END - timedelta(days=7)
    assert not (faulty / "landing" / "cases" / lost.isoformat()).exists()
    pings = landed(faulty, "patrol_pings").sort("device_id", "pinged_at")
    jumps = pings.with_columns(
        record_key=pl.concat_str(
            "device_id", pl.col("pinged_at").dt.strftime("%Y-%m-%d %H:%M:%S"), separator="|"
        ),
        jump_m=((pl.col("lon").diff() * 80_000) ** 2 + (pl.col("lat").diff() * 111_195) ** 2)
        .sqrt()
        .over("device_id"),
    )
    teleports = faults.filter(pl.col("fault_type") == "gps_teleport")["record_key"]
    assert teleports.len() > 0
    planted = jumps.filter(pl.col("record_key").is_in(teleports.to_list()))
    assert planted.height == teleports.len()
    assert (planted["jump_m"].fill_null(1e9) > 4_000).all()
