"""Data faults planted in text feeds, as upstream systems and desk officers produce them.

Faults are applied to the text form of a file (every value a string), because several of them
(full-width digits, values outside a set) cannot exist in a typed frame. Every planted fault is
returned so that it can be written to truth/faults.csv.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from beatbrief.feeds import load_schema
from beatbrief.simulate.names import to_fullwidth
from beatbrief.simulate.writer import TS_FORMAT

# Which faults each feed can carry, and which columns they touch.
FAULT_TYPES = {
    "cases": (
        "swapped_lat_lon",
        "zero_coordinates",
        "value_outside_set",
        "occurred_to_after_reported",
        "unknown_station_id",
        "duplicate_row",
        "fullwidth_digits",
        "missing_required",
    ),
    "population": ("duplicate_row", "fullwidth_digits", "missing_required"),
    "patrol_shifts": (
        "unknown_station_id",
        "value_outside_set",
        "duplicate_row",
        "fullwidth_digits",
        "missing_required",
    ),
}
NUMERIC_COLUMNS = {
    "cases": ("lon", "lat"),
    "population": ("registered_residents", "floating_residents", "rental_households"),
    "patrol_shifts": ("officer_count",),
}
REQUIRED_COLUMNS = {
    "cases": ("station_id", "kind", "category", "place_type", "reported_at", "status"),
    "population": ("registered_residents", "floating_residents"),
    "patrol_shifts": ("station_id", "mode", "officer_count", "started_at"),
}
# Values typed by hand or left over from old code tables (Chinese labels, placeholders).
BAD_VALUES = {
    "category": ("盗窃", "unknown", "入室盗窃"),
    "kind": ("刑事", "unknown"),
    "status": ("已受理", "pending"),
    "place_type": ("商场", "unknown"),
    "mode": ("步巡", "car"),
}


def _applicable(feed: str, row: dict) -> list[str]:
    """Fault types that would really change this row."""
    out = []
    for fault in FAULT_TYPES[feed]:
        if fault in ("swapped_lat_lon", "zero_coordinates") and not (
            row.get("lon") and row.get("lat")
        ):
            continue
        if fault == "occurred_to_after_reported" and not row.get("reported_at"):
            continue
        if fault == "fullwidth_digits" and not any(row.get(c) for c in NUMERIC_COLUMNS[feed]):
            continue
        out.append(fault)
    return out


def _apply(feed: str, fault: str, row: dict, rng: np.random.Generator) -> str:
    """Change one row in place; return the column(s) touched."""
    if fault == "swapped_lat_lon":
        row["lon"], row["lat"] = row["lat"], row["lon"]
        return "lon;lat"
    if fault == "zero_coordinates":
        row["lon"], row["lat"] = "0", "0"
        return "lon;lat"
    if fault == "value_outside_set":
        column = str(rng.choice([c for c in BAD_VALUES if c in row]))
        row[column] = str(rng.choice(BAD_VALUES[column]))
        return column
    if fault == "occurred_to_after_reported":
        reported = datetime.strptime(row["reported_at"], TS_FORMAT)
        row["occurred_to"] = (reported + timedelta(minutes=int(rng.integers(30, 600)))).strftime(
            TS_FORMAT
        )
        return "occurred_to"
    if fault == "unknown_station_id":
        row["station_id"] = (row.get("station_id") or "999999")[:6] + "990000"
        return "station_id"
    if fault == "fullwidth_digits":
        column = str(rng.choice([c for c in NUMERIC_COLUMNS[feed] if row.get(c)]))
        row[column] = to_fullwidth(row[column])
        return column
    if fault == "missing_required":
        column = str(rng.choice(REQUIRED_COLUMNS[feed]))
        row[column] = None
        return column
    raise ValueError(fault)


def inject_faults(
    text: pl.DataFrame, feed: str, rate: float, rng: np.random.Generator
) -> tuple[pl.DataFrame, list[dict]]:
    """Plant faults in about ``rate`` of the rows of a text frame; return it and the fault list."""
    if rate <= 0 or feed not in FAULT_TYPES or text.height == 0:
        return text, []
    key = load_schema(feed).key
    hit = np.flatnonzero(rng.random(text.height) < rate)
    if len(hit) == 0:
        return text, []
    rows = text[hit].to_dicts()
    faults: list[dict] = []
    duplicates: list[int] = []
    for i, row in zip(hit.tolist(), rows, strict=True):
        record_key = "|".join(str(row[k]) for k in key)
        fault = str(rng.choice(_applicable(feed, row)))
        column = "" if fault == "duplicate_row" else _apply(feed, fault, row, rng)
        if fault == "duplicate_row":
            duplicates.append(i)
        faults.append({"record_key": record_key, "fault_type": fault, "column_name": column})
    changed = pl.DataFrame(rows, schema=text.schema)
    columns = {}
    for name in text.columns:
        columns[name] = text[name].clone().scatter(hit, changed[name])
    out = pl.DataFrame(columns).with_row_index("_row")
    if duplicates:
        # an exact copy of the (possibly already faulty) row, right after it
        dup = out.filter(pl.col("_row").is_in(duplicates))
        out = pl.concat([out.with_columns(_copy=pl.lit(0)), dup.with_columns(_copy=pl.lit(1))])
        out = out.sort("_row", "_copy").drop("_copy")
    return out.drop("_row"), faults
