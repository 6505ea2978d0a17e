"""`make bench`: how fast each stage runs, against a floor measured in the same run.

For each scale (county, province) it simulates the feeds, loads them, and builds every model
for the last day. Per stage it prints the input rows, seconds, rows/s and the ratio to the
floor: one bare DuckDB pass over the same input (count(*) grouped by a 250 m cell), so the
ratios mean the same on a busy or a quiet machine. The goal is every stage within 3x.
It also times Getis-Ord Gi* alone on a synthetic 40,000-cell bureau (goal: under 50 ms) and,
where the reports layer provides it, the pages (size, render time, publish time).

Both scales load through the real ingest and GX validation, in bounded memory. Per feed they
report ingest, validate and both against the feed's own floor: one bare DuckDB pass over the
same landed files applying as many simple checks as the feed's suite has rules, with the peak
RSS of this process (the one doing the work) during each step. The province run (about 40
million GPS pings a day) stops after validation unless `--province-models` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES, load_schema

END = date(2026, 11, 27)
SCALES = {
    # scale: simulated days of cases, days of patrols
    "county": (400, 28),
    "province": (56, 1),
}
# a bare binning to roughly 250 m cells at 44°N, for the floor
FLOOR_SQL = (
    "select floor(lon / 0.0031) as x, floor(lat / 0.00225) as y, count(*) as n "
    "from {table} group by all"
)


def simulate(home: Path, scale: str) -> None:
    """Write the simulated feeds for a scale."""
    from beatbrief.simulate import run_simulation

    days, ping_days = SCALES[scale]
    run_simulation(
        home, end=END, days=days, seed=20261128, scale=scale, fault_rate=0.0, ping_days=ping_days
    )


def load_validated(settings: Settings) -> list[dict]:
    """Ingest and validate every feed the way the DAG does. Per feed: a stage for ingest, one
    for validate and one for both, each with its peak RSS, against the feed's floor."""
    from expectations.validate import FeedValidationError, validate_feed
    from transforms.ingest import ingest_feed

    stages = []
    for feed in FEED_NAMES:
        files = sorted(p for p in (settings.landing_dir / feed).glob("*/*") if p.is_file())
        floor = feed_floor(files, load_schema(feed)) if files else None
        reset_peak_rss()
        started = time.perf_counter()
        read = ingest_feed(settings, feed, END)["rows_read"]
        ingest_s, ingest_rss = time.perf_counter() - started, peak_rss_mb()
        reset_peak_rss()
        started = time.perf_counter()
        try:
            validate_feed(settings, feed, END)
        except FeedValidationError as error:  # a simulated day is clean; say so if not
            print(f"validate {feed}: {str(error).splitlines()[0]}")
        validate_s, validate_rss = time.perf_counter() - started, peak_rss_mb()
        both = max(ingest_rss, validate_rss)
        stages += [
            _stage(f"ingest {feed}", "landing", read, ingest_s, floor, ingest_rss),
            _stage(f"validate {feed}", "landing", read, validate_s, floor, validate_rss),
            _stage(f"ingest+validate {feed}", "landing", read, ingest_s + validate_s, floor, both),
        ]
    return stages


FLOOR_READERS = {
    "parquet": "read_parquet($files, union_by_name = true)",
    "csv": "read_csv($files, all_varchar = true, union_by_name = true, strict_mode = false, "
    "ignore_errors = true)",
    "jsonl": "read_json($files, format = 'newline_delimited', union_by_name = true, "
    "ignore_errors = true)",
}


def feed_floor(files: list[Path], schema, repeats: int = 3) -> float:
    """Best-of-`repeats` seconds of one bare DuckDB pass over a feed's landed files that applies
    as many simple checks as the feed's suite has rules (a null count per rule, cycling over
    the columns, plus one distinct count of the key)."""
    import duckdb

    from expectations.suites import build_suite
    from transforms.readers import detect_format

    rules = len(build_suite(schema).expectations)
    by_format: dict[str, list[str]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="beatbrief-floor-"))
    for path in files:
        fmt = detect_format(path)
        by_format.setdefault(fmt, []).append(str(_utf8(path, scratch) if fmt == "csv" else path))
    con = duckdb.connect()
    best = float("inf")
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            for fmt, paths in by_format.items():
                reader = FLOOR_READERS[fmt]
                names = [
                    row[0]
                    for row in con.execute(f"describe from {reader}", {"files": paths}).fetchall()
                ]
                checks = [
                    f'count(*) filter (where "{names[i % len(names)]}" is null)'
                    for i in range(rules)
                ]
                key = ", ".join(f'"{k}"' for k in schema.key if k in names) or f'"{names[0]}"'
                con.execute(
                    f"select count(*), {', '.join(checks)}, count(distinct ({key})) from {reader}",
                    {"files": paths},
                ).fetchall()
            best = min(best, time.perf_counter() - started)
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return best


def _utf8(path: Path, scratch: Path) -> Path:
    """The file itself if it is UTF-8, else a UTF-8 copy (DuckDB reads no GB18030; the copy is
    made before the timing starts)."""
    from transforms.readers import decode_text

    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return path
    except UnicodeDecodeError:
        copy = scratch / f"{len(list(scratch.iterdir()))}.csv"
        copy.write_text(decode_text(data, path)[0], encoding="utf-8")
        return copy


def reset_peak_rss() -> None:
    """Reset this process's peak resident set size (Linux: /proc/self/clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """This process's peak resident set size since the last reset, in MiB (/proc VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def floors(settings: Settings) -> dict[str, tuple[int, float]]:
    """Rows and best-of-3 seconds of the bare pass over each model input (cases, pings)."""
    from transforms import warehouse

    out = {}
    with warehouse.connect(settings) as con:
        for name, table in (("cases", "stg_cases"), ("pings", "stg_patrol_pings")):
            rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            times = []
            for _ in range(3):
                started = time.perf_counter()
                con.execute(FLOOR_SQL.format(table=table)).fetchall()
                times.append(time.perf_counter() - started)
            out[name] = (rows, min(times))
    return out


def model_inputs() -> dict[str, str]:
    """Which input (cases or pings) each model mainly reads: pings if it depends on them."""
    from transforms.runner import PINGS_MODEL, discover_models, reads_from

    models = discover_models()
    pings = reads_from(models, PINGS_MODEL) | {PINGS_MODEL}
    return {m.name: "pings" if m.name in pings else "cases" for m in models}


def build(settings: Settings) -> list[dict]:
    """Build every model for the day; one stage per model, with its floor ratio."""
    from transforms.runner import build_models

    built = build_models(settings, END)["models"]
    base = floors(settings)
    inputs = model_inputs()
    stages = []
    for name, info in built.items():
        kind = inputs.get(name, "cases")
        rows, floor = base[kind]
        stages.append(_stage(name, kind, rows, info["seconds"], floor))
    return stages


def gi_star_40k(repeats: int = 5) -> dict:
    """Time Gi* (int_gi_star: the hotspot window and every emerging week, then
    mart_hotspot_cells) on a synthetic 200 x 200 cell bureau (best of `repeats`), also per slice."""
    import math

    import numpy as np

    from transforms import warehouse
    from transforms.runner import discover_models, model_parameters, run_model

    settings = Settings(home=Path(tempfile.mkdtemp(prefix="beatbrief-bench-gi-")))
    lon0, lat0, metres_per_degree = 125.0, 44.0, 6_371_008.8 * math.pi / 180
    side = 199 * settings.grid_cell_m  # with the one-cell padding: 200 x 200 cells (about)

    def lon(x: float) -> float:
        return lon0 + x / (metres_per_degree * math.cos(math.radians(lat0)))

    def lat(y: float) -> float:
        return lat0 + y / metres_per_degree

    rng = np.random.default_rng(1)
    stations = [
        {
            "station_id": "S1",
            "station_name": "S1",
            "station_type": "urban",
            "officer_count": 30,
            "bureau_id": "B1",
            "bureau_name": "B1",
            "bureau_type": "county",
            "bureau_officer_count": 100,
            "lon": lon(0.0),
            "lat": lat(0.0),
        },
        {
            "station_id": "S2",
            "station_name": "S2",
            "station_type": "town",
            "officer_count": 12,
            "bureau_id": "B1",
            "bureau_name": "B1",
            "bureau_type": "county",
            "bureau_officer_count": 100,
            "lon": lon(side),
            "lat": lat(side),
        },
    ]
    communities = [
        {
            "community_id": f"C{i}",
            "community_name": f"C{i}",
            "station_id": f"S{1 + i % 2}",
            "area_type": "rural",
            "lon": lon(x),
            "lat": lat(y),
            "radius_m": 0.0,
            "has_police_office": True,
            "office_officer_count": 1,
            "is_complex_central_village": False,
            "is_former_township_seat": False,
            "is_remote": False,
        }
        for i, (x, y) in enumerate(rng.uniform(0, side, size=(300, 2)))
    ]
    points = rng.normal(side / 2, side / 6, size=(20_000, 2)).clip(0, side)
    cases = [
        {
            "case_id": f"K{i}",
            "station_id": "S1",
            "kind": "criminal",
            "category": "theft",
            "place_type": "street",
            "reported_at": f"2026-11-{1 + i % 27:02d} 08:00:00",
            "updated_at": "2026-11-27 08:00:00",
            "status": "accepted",
            "lon": lon(x),
            "lat": lat(y),
        }
        for i, (x, y) in enumerate(points)
    ]
    con = warehouse.open_connection(":memory:", settings)
    try:
        for feed, rows in (("stations", stations), ("communities", communities), ("cases", cases)):
            frame = pl.DataFrame(rows).with_columns(
                pl.lit(END).alias("_partition_date"),
                pl.lit("bench").alias("_file_path"),
                pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_line_number"),
            )
            warehouse.append_frame(con, warehouse.accepted_table(feed), frame)
        params = model_parameters(settings, END)
        models = {m.name: m for m in discover_models()}
        for name in (
            "stg_stations",
            "stg_communities",
            "stg_road_segments",
            "stg_case_history",
            "stg_cases",
            "int_bureau_frames",
            "int_grid_cells",
            "int_case_cells",
        ):
            run_model(con, models[name], params)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            # int_gi_star computes every slice (the window and each emerging week) at once
            run_model(con, models["int_gi_star"], params)
            run_model(con, models["mart_hotspot_cells"], params)
            times.append(time.perf_counter() - started)
        cells = con.execute(
            "select count(*) from mart_hotspot_cells where as_of_date = ?", [END]
        ).fetchall()[0][0]
    finally:
        con.close()
        shutil.rmtree(settings.home, ignore_errors=True)
    slices = 1 + settings.emerging_weeks
    return {
        "cells": cells,
        "slices": slices,
        "best_ms": round(min(times) * 1000, 1),
        "median_ms": round(statistics.median(times) * 1000, 1),
        "best_ms_per_slice": round(min(times) * 1000 / slices, 1),
        "goal_ms_per_slice": 50,
    }


def _stage(
    name: str,
    kind: str,
    rows: int,
    seconds: float,
    floor: float | None = None,
    peak_rss_mb: float | None = None,
) -> dict:
    return {
        "stage": name,
        "input": kind,
        "rows": rows,
        "seconds": round(seconds, 4),
        "rows_per_s": round(rows / seconds) if seconds > 0 else None,
        "floor_s": None if floor is None else round(floor, 4),
        "ratio": None if floor in (None, 0) else round(seconds / floor, 2),
        "peak_rss_mb": peak_rss_mb,
    }


def print_table(scale: str, stages: list[dict]) -> None:
    """The per-stage table."""
    print(f"\n== {scale} ==")
    print(
        f"{'stage':42} {'input':8} {'rows':>11} {'seconds':>9} {'rows/s':>12} "
        f"{'floor s':>8} {'x floor':>8} {'peak MiB':>9}"
    )
    for s in stages:
        ratio = "" if s["ratio"] is None else f"{s['ratio']:.1f}"
        floor = "" if s["floor_s"] is None else f"{s['floor_s']:.4f}"
        rss = "" if s.get("peak_rss_mb") is None else f"{s['peak_rss_mb']:,.0f}"
        print(
            f"{s['stage']:42} {s['input']:8} {s['rows']:>11,} {s['seconds']:>9.3f} "
            f"{(s['rows_per_s'] or 0):>12,} {floor:>8} {ratio:>8} {rss:>9}"
        )
    ratios = [s["ratio"] for s in stages if s["ratio"] is not None]
    if ratios:
        over = [s["stage"] for s in stages if s["ratio"] is not None and s["ratio"] > 3]
        print(
            f"median ratio to floor: {statistics.median(ratios):.1f}; "
            f"stages over 3x: {len(over)} of {len(ratios)}"
            + (f" ({', '.join(over)})" if over else "")
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write bench-output/bench.json."""
    parser = argparse.ArgumentParser(prog="beatbrief bench", description=__doc__)
    parser.add_argument(
        "--scales",
        default="county,province-dag",
        help="county (one warehouse, every stage), province (one warehouse, ingest and "
        "validation only), province-dag (the province day through the bureau-parallel DAG on "
        "Celery with 1 and 2 workers: needs `make services`)",
    )
    parser.add_argument(
        "--province-bureaus",
        type=int,
        default=60,
        help="bureaus of the simulated province for province-dag (60: the whole province)",
    )
    parser.add_argument("--out", default="bench-output")
    parser.add_argument(
        "--province-models",
        action="store_true",
        help="also build the models and pages at province scale (long: the bureau-parallel "
        "DAG is the province's answer)",
    )
    args = parser.parse_args(argv)
    results = {}
    for scale in args.scales.split(","):
        if scale == "province-dag":
            results[scale] = province_dag(args.province_bureaus)
            continue
        home = Path(tempfile.mkdtemp(prefix=f"beatbrief-bench-{scale}-"))
        try:
            settings = Settings(home=home)
            started = time.perf_counter()
            simulate(home, scale)
            stages = [_stage("simulate", "-", 0, time.perf_counter() - started)]
            stages += load_validated(settings)
            if scale == "county" or args.province_models:
                stages += build(settings)
                stages += pages(settings)
            print_table(scale, stages)
            results[scale] = stages
        finally:
            shutil.rmtree(home, ignore_errors=True)
    results["gi_star_40k_cells"] = gi_star_40k()
    print(f"\nGi* on a 40,000-cell bureau: {results['gi_star_40k_cells']}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


def province_dag(bureaus: int) -> dict:
    """A simulated province day (`bureaus` bureaus at province density) through the
    bureau-parallel DAG on Celery, with 1 and then 2 workers (beatbrief/province_bench.py)."""
    from beatbrief.province_bench import print_report, run_in_subprocess
    from beatbrief.simulate import run_simulation

    days, ping_days = SCALES["province"]
    root = Path(tempfile.mkdtemp(prefix="beatbrief-bench-province-dag-"))
    try:
        home = root / "landed"
        started = time.perf_counter()
        run_simulation(
            home,
            end=END,
            days=days,
            seed=20261128,
            scale="province",
            fault_rate=0.0,
            ping_days=ping_days,
            bureaus=bureaus,
        )
        simulate_s = time.perf_counter() - started
        floor = 0.0
        for feed in FEED_NAMES:
            files = sorted(p for p in (home / "landing" / feed).glob("*/*") if p.is_file())
            floor += feed_floor(files, load_schema(feed)) if files else 0.0
        runs = [run_in_subprocess(home, root, workers, END) for workers in (1, 2)]
        print_report(runs, floor, 60)
        return {"bureaus": bureaus, "simulate_s": simulate_s, "floor_s": floor, "runs": runs}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def pages(settings: Settings) -> list[dict]:
    """Page measurements from the reports layer, when it provides them."""
    try:
        from reports.bench import measure_pages
    except ImportError:
        return []
    return measure_pages(settings, END)


if __name__ == "__main__":
    raise SystemExit(main())
