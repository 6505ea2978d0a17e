"""Feed simulator: a seeded county (or province) landing every feed under HOME, truth beside it.

Everything is drawn from ``numpy.random.default_rng([seed, stream, ...])`` with a fixed stream per
purpose (geography, cases, patrols, faults, file formats), so the same arguments always give
byte-identical files, and changing e.g. the fault rate leaves the clean data untouched.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from tqdm import tqdm

from beatbrief.feeds import FEED_NAMES, load_schema
from beatbrief.simulate import truth
from beatbrief.simulate.cases import CaseResult, simulate_cases
from beatbrief.simulate.categories import check_against_schema
from beatbrief.simulate.faults import inject_faults
from beatbrief.simulate.geography import Bureau, build_bureau, province_specs
from beatbrief.simulate.patrols import (
    Team,
    bureau_pings,
    day_shifts,
    ping_dates,
    plan_teams,
    shift_frame,
)
from beatbrief.simulate.population import population_snapshots, snapshot_dates
from beatbrief.simulate.writer import (
    GB18030_CSV,
    JSONL,
    UTF8_BOM_CSV,
    UTF8_CSV,
    FileFormat,
    Lander,
    to_text,
)

GEOGRAPHY, CASES, PATROLS, POPULATION, FAULTS, FORMATS = range(1, 7)
MISSING_PARTITION_MIN_AGE_DAYS = 7
# Share of case days delivered as GB18030 CSV, UTF-8-with-BOM CSV, and JSON lines.
CASE_FORMAT_SHARES = ((GB18030_CSV, 0.80), (UTF8_BOM_CSV, 0.15), (JSONL, 0.05))
# reference feed -> Bureau attribute holding its frame
REFERENCE_FEEDS = {
    "stations": "stations",
    "communities": "communities",
    "road_segments": "segments",
}


@dataclass(frozen=True)
class ScaleConfig:
    """What differs between the county demo and the province benchmark."""

    default_ping_days: int
    every_device: bool  # province: every officer's body-worn terminal pings, not only the team's
    all_slots: bool  # province: every team works all three shifts


SCALES = {"county": ScaleConfig(28, False, False), "province": ScaleConfig(2, True, True)}


def _rng(seed: int, *keys: int) -> np.random.Generator:
    """An independent generator for one purpose (stream) and object (bureau, day...)."""
    return np.random.default_rng([seed, *keys])


def _fault_rng(seed: int, feed: str, day: date) -> np.random.Generator:
    """The generator of the faults planted in one feed's partition."""
    return _rng(seed, FAULTS, FEED_NAMES.index(feed), day.toordinal())


def _progress(items: Iterable, desc: str) -> Iterable:
    """A tqdm bar on stderr (quiet for single items)."""
    items = list(items)
    return tqdm(items, desc=desc, file=sys.stderr, disable=len(items) < 2, leave=False)


def run_simulation(
    home: Path,
    *,
    end: date,
    days: int,
    seed: int,
    scale: str,
    fault_rate: float,
    ping_days: int | None,
    bureaus: int | None = None,
) -> dict:
    """Simulate every feed for ``days`` days up to ``end`` under ``home``; return rows per feed.
    ``bureaus`` keeps the first that many bureaus of the province (default: the scale's)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {sorted(SCALES)}")
    if days < 1 or seed < 0 or not 0.0 <= fault_rate < 0.5 or (ping_days or 0) < 0:
        raise ValueError("need days >= 1, seed >= 0, ping_days >= 0 and 0 <= fault_rate < 0.5")
    check_against_schema()
    config = SCALES[scale]
    start = end - timedelta(days=days - 1)
    n_ping_days = min(days, config.default_ping_days if ping_days is None else ping_days)
    home = Path(home)
    lander = Lander(home)
    lander.reset()

    specs = province_specs(scale, _rng(seed, GEOGRAPHY), bureaus)
    bureaus = [
        build_bureau(s, _rng(seed, GEOGRAPHY, s.index)) for s in _progress(specs, "geography")
    ]
    rows = dict.fromkeys(FEED_NAMES, 0)
    for feed, attribute in REFERENCE_FEEDS.items():
        frame = pl.concat([getattr(b, attribute) for b in bureaus])
        rows[feed] = lander.land_text(
            feed, start, to_text(frame, load_schema(feed)), UTF8_CSV, feed
        )
    rows["population"] = _land_population(lander, bureaus, seed, start, end, fault_rate)

    results = [
        simulate_cases(b, _rng(seed, CASES, b.spec.index), start, end)
        for b in _progress(bureaus, "cases")
    ]
    rows["cases"], missing = _land_cases(lander, results, seed, start, end, fault_rate)

    teams = [
        plan_teams(b, r.signals.hotspots, _rng(seed, PATROLS, b.spec.index), config.all_slots)
        for b, r in zip(bureaus, results, strict=True)
    ]
    rows["patrol_shifts"], rows["patrol_pings"] = _land_patrols(
        lander, bureaus, teams, seed, ping_dates(end, n_ping_days), config, fault_rate
    )

    _write_truth(lander, bureaus, results, teams, missing, end)
    params = {
        "end": end.isoformat(),
        "days": days,
        "start": start.isoformat(),
        "seed": seed,
        "scale": scale,
        "fault_rate": fault_rate,
        "ping_days": n_ping_days,
        "bureaus": len(specs),
    }
    lander.finish(params)
    return {
        "scale": scale,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rows": rows,
        "files": len(lander.manifest),
        "faults": len(lander.faults),
    }


def _land_population(
    lander: Lander, bureaus: list[Bureau], seed: int, start: date, end: date, fault_rate: float
) -> int:
    """Monthly population snapshots, one GB18030 file per snapshot date."""
    schema = load_schema("population")
    dates = snapshot_dates(start, end)
    frame = pl.concat(
        [population_snapshots(b, _rng(seed, POPULATION, b.spec.index), dates) for b in bureaus]
    )
    total = 0
    for day in dates:
        text = to_text(frame.filter(pl.col("as_of_date") == day), schema)
        text, faults = inject_faults(
            text, "population", fault_rate, _fault_rng(seed, "population", day)
        )
        total += lander.land_text(
            "population", day, text, GB18030_CSV, f"population_{day:%Y%m%d}", faults
        )
    return total


def case_format(seed: int, day: date) -> FileFormat:
    """The deterministic file format of one day's case export."""
    u = _rng(seed, FORMATS, day.toordinal()).random()
    for fmt, share in CASE_FORMAT_SHARES:
        if u < share:
            return fmt
        u -= share
    return CASE_FORMAT_SHARES[0][0]


def _land_cases(
    lander: Lander, results: list[CaseResult], seed: int, start: date, end: date, fault_rate: float
) -> tuple[int, list[dict]]:
    """Case records partitioned by the date of updated_at; one day lost when faults are on."""
    schema = load_schema("cases")
    records = pl.concat([r.records for r in results]).sort(
        "partition_date", "updated_at", "case_id"
    )
    days = (end - start).days + 1
    lost: date | None = None
    if fault_rate > 0 and days > MISSING_PARTITION_MIN_AGE_DAYS:
        offset = int(_rng(seed, FAULTS).integers(0, days - MISSING_PARTITION_MIN_AGE_DAYS))
        lost = start + timedelta(days=offset)
    missing = []
    total = 0
    parts = records.partition_by("partition_date", as_dict=True, maintain_order=True)
    for (day,), part in _progress(sorted(parts.items()), "cases by day"):
        if day == lost:
            missing.append(
                {
                    "feed": "cases",
                    "partition_date": day.isoformat(),
                    "rows_not_delivered": part.height,
                    "reason": "export job failed; the partition never arrived",
                }
            )
            continue
        text = to_text(part, schema)
        text, faults = inject_faults(text, "cases", fault_rate, _fault_rng(seed, "cases", day))
        total += lander.land_text(
            "cases", day, text, case_format(seed, day), f"cases_{day:%Y%m%d}", faults
        )
    return total, missing


def _land_patrols(
    lander: Lander,
    bureaus: list[Bureau],
    teams: list[list[Team]],
    seed: int,
    days: list[date],
    config: ScaleConfig,
    fault_rate: float,
) -> tuple[int, int]:
    """Shift logs (CSV) and GPS pings (one Parquet file per day, a row group per bureau)."""
    shift_schema = load_schema("patrol_shifts")
    n_shifts = n_pings = 0
    for day in _progress(days, "patrol days"):
        shifts = [
            day_shifts(
                b, t, day, _rng(seed, PATROLS, b.spec.index, day.toordinal()), config.every_device
            )
            for b, t in zip(bureaus, teams, strict=True)
        ]
        frame = pl.concat([shift_frame(b, s) for b, s in zip(bureaus, shifts, strict=True)])
        text, faults = inject_faults(
            to_text(frame, shift_schema),
            "patrol_shifts",
            fault_rate,
            _fault_rng(seed, "patrol_shifts", day),
        )
        n_shifts += lander.land_text(
            "patrol_shifts", day, text, UTF8_CSV, f"patrol_shifts_{day:%Y%m%d}", faults
        )
        writer = path = None
        day_rows = 0
        day_faults: list[dict] = []
        for b, s in _progress(list(zip(bureaus, shifts, strict=True)), f"pings {day}"):
            batch = bureau_pings(
                b,
                s,
                _rng(seed, PATROLS, b.spec.index, day.toordinal(), 1),
                province=config.every_device,
                fault_rate=fault_rate,
            )
            if writer is None:
                writer, path = lander.parquet_writer(
                    "patrol_pings", day, f"patrol_pings_{day:%Y%m%d}", batch.table.schema
                )
            writer.write_table(batch.table)
            day_rows += batch.table.num_rows
            day_faults += batch.faults
        lander.close_parquet("patrol_pings", day, writer, path, day_rows, day_faults)
        n_pings += day_rows
    return n_shifts, n_pings


def _write_truth(
    lander: Lander,
    bureaus: list[Bureau],
    results: list[CaseResult],
    teams: list[list[Team]],
    missing: list[dict],
    end: date,
) -> None:
    """Everything that was planted, for tests and for checking the pipeline's findings."""
    pairs = list(zip(bureaus, results, strict=True))
    (lander.truth_dir / "README.md").write_text(truth.README, encoding="utf-8")
    lander.write_truth("hotspots.json", [h for b, r in pairs for h in truth.hotspots(b, r)])
    lander.write_truth("near_repeat.json", [truth.near_repeat(b, r) for b, r in pairs])
    lander.write_truth(
        "zero_case_communities.json",
        [z for b, r in pairs for z in truth.zero_case_communities(b, r, end)],
    )
    lander.write_truth(
        "patrol_teams.json",
        [t for b, ts in zip(bureaus, teams, strict=True) for t in truth.patrol_teams(b, ts)],
    )
    lander.write_truth(
        "understaffed_stations.json", [s for b in bureaus for s in truth.understaffed_stations(b)]
    )
    lander.write_truth("bureaus.json", [truth.bureau_summary(b) for b in bureaus])
    lander.write_truth("missing_partitions.json", missing)


__all__ = ["SCALES", "case_format", "run_simulation"]
