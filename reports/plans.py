"""Next-day patrol plans: one CSV per station under HOME/plans/<plan date>/, from mart_patrol_plan.

The plan made on `as_of` is for the next day, so its folder is named for that day
(`Settings.plans_dir(as_of + 1)`). Every station of the reference gets a file, an empty plan
(header only) included, so re-running a day replaces every file of the folder. Files are UTF-8
with a byte-order mark, which spreadsheet programs need to show Chinese text.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from reports.messages import Messages
from reports.paths import SAFE_ID, UnsafeIdError
from reports.render import atomic_write
from reports.sections.patrol_plan import plan_reason
from transforms import warehouse

PLAN_COLUMNS = (
    "plan_date",
    "station_id",
    "plan_rank",
    "weekday",
    "block_start_hour",
    "block_end_hour",
    "recommended_minutes",
    "recommended_visits",
    "cell_id",
    "center_lon",
    "center_lat",
    "community_name",
    "road_name",
    "segment_name",
    "reason",
    "reason_codes",
    "hot_class",
    "gi_z",
    "period_rank",
    "alert_ids",
)


class UnsafeStationIdError(UnsafeIdError):
    """A station id that cannot be used as a file name."""


def plan_path(settings: Settings, plan_date: date, station_id: str) -> Path:
    """Where a station's plan for a day goes; refuses ids that are not plain names."""
    if not isinstance(station_id, str) or not SAFE_ID.fullmatch(station_id):
        raise UnsafeStationIdError(
            f"station id {station_id!r} is not a safe file name (letters, digits, '_', '-')"
        )
    folder = settings.plans_dir(plan_date)
    path = folder / f"{station_id}.csv"
    if path.resolve().parent != folder.resolve():  # the pattern already rules this out
        raise UnsafeStationIdError(f"station id {station_id!r} leaves {folder}")
    return path


def read_plans(settings: Settings, as_of: date) -> tuple[list[str], pl.DataFrame]:
    """Every station id of the reference and the plan entries made on `as_of`."""
    with warehouse.connect(settings) as con:
        stations = con.sql("select station_id from dim_stations order by station_id").pl()
        plans = con.sql(
            "select * from mart_patrol_plan where as_of_date = ? order by station_id, plan_rank",
            params=[as_of],
        ).pl()
    ids = sorted(set(stations["station_id"].to_list()) | set(plans["station_id"].to_list()))
    return ids, plans


def plan_csv(entries: pl.DataFrame, msg: Messages) -> bytes:
    """One station's plan entries as CSV bytes (UTF-8 with BOM), in PLAN_COLUMNS order; the
    `reason` column is the mart's reason_codes in words, in the briefing's language."""
    reasons = [plan_reason(row, msg) for row in entries.iter_rows(named=True)]
    frame = (
        entries.with_columns(pl.Series("reason", reasons, dtype=pl.String))
        .select(PLAN_COLUMNS)
        .with_columns(
            pl.col("center_lon", "center_lat").round(6),
            pl.col("gi_z").round(2),
            pl.col("recommended_minutes").cast(pl.Int64),
        )
    )
    return b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8")


def write_patrol_plans(settings: Settings, as_of: date) -> list[Path]:
    """Write each station's plan for the day after `as_of`; return the files written."""
    plan_date = as_of + timedelta(days=1)
    station_ids, plans = read_plans(settings, as_of)
    msg = Messages(settings.language)
    # check every id before writing anything: a bad id fails the run, not half of it
    paths = {station_id: plan_path(settings, plan_date, station_id) for station_id in station_ids}
    written = []
    for station_id, path in paths.items():
        atomic_write(path, plan_csv(plans.filter(pl.col("station_id") == station_id), msg))
        written.append(path)
    return written
