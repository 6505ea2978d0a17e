"""What the GX suites compare against: derived check columns and run-time expectation parameters.

Some rules need more than one row or the reference data: a GPS fix's speed from its neighbours,
whether swapped coordinates would fall inside the jurisdiction, whether an ID-card number's
check character is right. Those facts are computed here as columns (`_implied_speed_kmh`,
`_swapped_lat_lon`, `_invalid_id_cards`, `_too_long`) and the verdict is left to an expectation
in the suite.
Values that depend on the day or the reference data (known ids, jurisdiction bounds, the latest
plausible timestamp) are passed to the checkpoint as GX expectation parameters.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import polars as pl

from beatbrief.config import Settings
from beatbrief.feeds import FeedSchema, load_schema
from beatbrief.pii import id_card_is_valid
from transforms import warehouse
from transforms.casting import joined_names

# Feeds whose coordinates are checked against the jurisdiction; the reference feeds define it.
LOCATED_FEEDS = ("cases", "patrol_pings")
EARTH_RADIUS_M = 6_371_008.8


def reference_parameter(reference: str) -> str:
    """The expectation-parameter name holding the known values of `feed.column`."""
    return "ref_" + reference.replace(".", "_")


def expectation_parameters(con, settings: Settings, schema: FeedSchema, as_of: date) -> dict:
    """Run-time values the feed's suite refers to with {"$PARAMETER": name}."""
    params: dict = {
        "max_event_at": datetime.combine(as_of + timedelta(days=1), time())
        + timedelta(minutes=settings.future_tolerance_minutes),
        "ping_max_speed_kmh": settings.ping_max_speed_kmh,
    }
    for column in schema.columns:
        if column.references:
            feed, name = column.references.split(".")
            table = warehouse.accepted_table(feed)
            if name not in load_schema(feed).names:
                raise ValueError(f"{schema.feed}.{column.name}: bad reference {column.references}")
            rows = con.execute(
                f'select distinct "{name}" from {table} where "{name}" is not null order by 1'
            ).fetchall()
            params[reference_parameter(column.references)] = [r[0] for r in rows]
    params.update(jurisdiction_bounds(con, settings))
    return params


def jurisdiction_bounds(con, settings: Settings) -> dict:
    """The extent of all accepted reference places, widened by the bounds margin."""
    rows = con.execute(
        """
        with points as (
            select lon, lat from accepted_stations
            union all select lon, lat from accepted_communities
            union all select from_lon, from_lat from accepted_road_segments
            union all select to_lon, to_lat from accepted_road_segments
        )
        select min(lon), max(lon), min(lat), max(lat) from points
        where lon is not null and lat is not null
        """
    ).fetchall()[0]
    margin = settings.bounds_margin_deg
    if rows[0] is None:  # no reference yet: only China's extent can be checked
        return {"lon_min": 73.0, "lon_max": 135.5, "lat_min": 18.0, "lat_max": 53.6}
    return {
        "lon_min": rows[0] - margin,
        "lon_max": rows[1] + margin,
        "lat_min": rows[2] - margin,
        "lat_max": rows[3] + margin,
    }


def add_check_columns(rows: pl.DataFrame, schema: FeedSchema, params: dict) -> pl.DataFrame:
    """Typed rows plus the derived columns that need only the row itself (the implied speed of
    a GPS fix needs its neighbours: expectations/batch.py computes it in SQL)."""
    if schema.feed in LOCATED_FEEDS:
        rows = rows.with_columns(swapped_lat_lon(params).alias("_swapped_lat_lon"))
    id_columns = [c.name for c in schema.columns if c.pii == "id_card"]
    if id_columns:
        rows = rows.with_columns(invalid_id_cards(id_columns).alias("_invalid_id_cards"))
    return rows.with_columns(too_long(schema).alias("_too_long"))


def check_columns(schema: FeedSchema) -> list[str]:
    """Names of the derived columns add_check_columns gives this feed."""
    names = []
    if schema.feed in LOCATED_FEEDS:
        names.append("_swapped_lat_lon")
    if schema.feed == "patrol_pings":
        names.append("_implied_speed_kmh")
    if any(c.pii == "id_card" for c in schema.columns):
        names.append("_invalid_id_cards")
    return [*names, "_too_long"]


def _inside(lon: pl.Expr, lat: pl.Expr, params: dict) -> pl.Expr:
    return lon.is_between(params["lon_min"], params["lon_max"]) & lat.is_between(
        params["lat_min"], params["lat_max"]
    )


def swapped_lat_lon(params: dict) -> pl.Expr:
    """True where a point lies outside the jurisdiction but would lie inside if swapped."""
    lon, lat = pl.col("lon"), pl.col("lat")
    return (~_inside(lon, lat, params) & _inside(lat, lon, params)).fill_null(False)


def too_long(schema: FeedSchema) -> pl.Expr:
    """Comma-joined names of the text columns longer than their `max_length` (null if none).
    Checked here, not per column in GX, so personal columns never enter a GX batch."""
    flags = [
        pl.when(pl.col(c.name).str.len_chars() > c.max_length).then(pl.lit(c.name))
        for c in schema.columns
        if c.type == "string" and c.max_length and not c.values and not c.file_name
    ]
    return joined_names(flags)


def invalid_id_cards(columns: list[str]) -> pl.Expr:
    """Comma-joined names of the ID-card columns whose value fails GB 11643 (null if none)."""
    flags = [
        pl.when(
            pl.col(c).is_not_null()
            & ~pl.col(c).map_elements(id_card_is_valid, return_dtype=pl.Boolean)
        )
        .then(pl.lit(c))
        .otherwise(None)
        for c in columns
    ]
    return joined_names(flags)
