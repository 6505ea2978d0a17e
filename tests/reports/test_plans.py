"""Patrol plan CSVs: one file per station, safe names, atomic writes."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from beatbrief.config import Settings
from reports import plans
from transforms import warehouse

AS_OF = date(2026, 3, 10)
PLAN_DATE = date(2026, 3, 11)


def entry(station_id: str, rank: int, **fields) -> dict:
    """A mart_patrol_plan row with the columns the CSV shows."""
    row = {
        "as_of_date": AS_OF,
        "plan_date": PLAN_DATE,
        "station_id": station_id,
        "plan_rank": rank,
        "weekday": 3,
        "block_start_hour": 18,
        "block_end_hour": 21,
        "recommended_minutes": 30.0,
        "recommended_visits": 2,
        "cell_id": f"B1:{rank}:1",
        "center_lon": 125.123456789,
        "center_lat": 43.987654321,
        "community_name": "东城社区",
        "road_name": "商业路",
        "segment_name": "商业路(一—二)",
        "reason_codes": "hot_class_3;top_period_1",
        "hot_class": 3,
        "gi_z": 4.2345,
        "cases": 3,
        "period_rank": 1,
        "period_share": 0.12,
        "alert_ids": None,
        "alert_categories": None,
        "alert_valid_until": None,
    }
    row.update(fields)
    return row


def make_warehouse(settings: Settings, station_ids: list[str], entries: list[dict]) -> None:
    """A warehouse holding just dim_stations and mart_patrol_plan."""
    import polars as pl

    with warehouse.connect(settings) as con:
        stations = pl.DataFrame({"station_id": station_ids}, schema={"station_id": pl.String})
        con.register("stations_frame", stations)
        con.execute("create or replace table dim_stations as select * from stations_frame")
        frame = pl.DataFrame(entries or [entry("S0", 1)])
        con.register("plan_frame", frame)
        con.execute("create or replace table mart_patrol_plan as select * from plan_frame")
        if not entries:
            con.execute("delete from mart_patrol_plan")


def read_csv(path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read the Chinese text
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path)


def test_one_csv_per_station_in_the_plan_dates_folder(settings):
    make_warehouse(
        settings, ["S1", "S2"], [entry("S1", 1), entry("S1", 2, recommended_minutes=15.0)]
    )
    written = plans.write_patrol_plans(settings, AS_OF)
    folder = settings.home / "plans" / "2026-03-11"
    assert written == [folder / "S1.csv", folder / "S2.csv"]
    rows = read_csv(folder / "S1.csv")
    assert list(rows[0]) == list(plans.PLAN_COLUMNS)
    assert [r["plan_rank"] for r in rows] == ["1", "2"]
    assert [r["recommended_minutes"] for r in rows] == ["30", "15"]
    # the reason in words, from the reason codes and the message catalogue
    assert rows[0]["reason"] == "热点 99%（z = 4.2，近期 3 起）；高发时段第 1 位（占 12.0%）"
    assert (rows[0]["center_lon"], rows[0]["gi_z"]) == ("125.123457", "4.23")
    # a station without entries gets a header-only file, replacing yesterday's re-run
    assert read_csv(folder / "S2.csv") == []
    assert (folder / "S2.csv").read_bytes().startswith(b"\xef\xbb\xbfplan_date,station_id,")


@pytest.mark.parametrize(
    "bad", ["../x", "..", ".", "a/b", "a\\b", "", "S1.csv", "/etc/passwd", "S 1", "站1", "-x"]
)
def test_unsafe_station_ids_are_refused(settings, bad):
    with pytest.raises(plans.UnsafeStationIdError):
        plans.plan_path(settings, PLAN_DATE, bad)


def test_a_bad_station_id_in_the_data_writes_nothing(settings):
    make_warehouse(settings, ["S1", "../x"], [entry("S1", 1)])
    with pytest.raises(plans.UnsafeStationIdError):
        plans.write_patrol_plans(settings, AS_OF)
    assert not (settings.home / "plans").exists()
    assert not (settings.home / "x.csv").exists()


def test_plan_path_accepts_real_station_codes(settings):
    path = plans.plan_path(settings, PLAN_DATE, "220199510000")
    assert path == settings.home / "plans" / "2026-03-11" / "220199510000.csv"


def test_a_failed_write_leaves_the_old_file_whole_and_no_debris(settings, monkeypatch):
    make_warehouse(settings, ["S1"], [entry("S1", 1)])
    target = settings.plans_dir(PLAN_DATE) / "S1.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old plan")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("reports.render.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        plans.write_patrol_plans(settings, AS_OF)
    assert target.read_bytes() == b"old plan"
    assert sorted(p.name for p in target.parent.iterdir()) == ["S1.csv"]
    monkeypatch.undo()
    plans.write_patrol_plans(settings, AS_OF)
    assert read_csv(target)[0]["cell_id"] == "B1:1:1"


def test_the_plan_reason_is_written_in_the_briefings_language(tmp_path):
    import dataclasses

    settings = dataclasses.replace(Settings(home=tmp_path), language="en")
    make_warehouse(settings, ["S1"], [entry("S1", 1)])
    plans.write_patrol_plans(settings, AS_OF)
    [row] = read_csv(settings.home / "plans" / "2026-03-11" / "S1.csv")
    assert row["reason"].startswith("Hot 99% (z = 4.2, 3 recent cases); ")
    assert row["reason_codes"] == "hot_class_3;top_period_1"
