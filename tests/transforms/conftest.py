"""Fixtures for SQL model tests: an in-memory warehouse with tiny inline rows."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from beatbrief.config import Settings
from transforms import warehouse
from transforms.runner import discover_models, model_parameters, run_model


class TinyWarehouse:
    """An in-memory DuckDB warehouse with helpers to add accepted rows and build models."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.con = warehouse.open_connection(":memory:", settings)

    def add(self, feed: str, rows: list[dict], partition: date = date(2026, 1, 1)) -> None:
        """Append rows to a feed's accepted table (unnamed columns stay null)."""
        frame = pl.DataFrame(rows).with_columns(
            pl.lit(partition).alias("_partition_date"),
            pl.lit("test.csv").alias("_file_path"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_line_number"),
        )
        warehouse.append_frame(self.con, warehouse.accepted_table(feed), frame)

    def build(self, as_of: date, upto: str | None = None) -> None:
        """Run every model in dependency order (stopping after `upto` if given)."""
        params = model_parameters(self.settings, as_of)
        for model in discover_models():
            run_model(self.con, model, params)
            if model.name == upto:
                break

    def rows(self, sql: str, params=None) -> list[tuple]:
        """Fetch all rows of a query."""
        return self.con.execute(sql, params or []).fetchall()

    def frame(self, sql: str, params=None) -> pl.DataFrame:
        """A query as a Polars frame."""
        return self.con.sql(sql, params=params).pl()


@pytest.fixture
def tiny(tmp_path) -> TinyWarehouse:
    """A fresh in-memory warehouse."""
    return TinyWarehouse(Settings(home=tmp_path))


STATIONS = [
    {
        "station_id": "S1",
        "station_name": "城关派出所",
        "station_type": "urban",
        "officer_count": 25,
        "bureau_id": "B1",
        "bureau_name": "示范县公安局",
        "bureau_type": "county",
        "bureau_officer_count": 100,
        "lon": 125.30,
        "lat": 43.90,
    },
    {
        "station_id": "S2",
        "station_name": "河东派出所",
        "station_type": "town",
        "officer_count": 9,
        "bureau_id": "B1",
        "bureau_name": "示范县公安局",
        "bureau_type": "county",
        "bureau_officer_count": 100,
        "lon": 125.35,
        "lat": 43.92,
    },
]


def case(case_id: str, reported_at: str, **fields) -> dict:
    """A minimal accepted case record; anything else can be passed as a keyword."""
    row = {
        "case_id": case_id,
        "station_id": "S1",
        "kind": "criminal",
        "category": "theft",
        "place_type": "street",
        "reported_at": reported_at,
        "updated_at": reported_at,
        "status": "accepted",
        "lon": 125.30,
        "lat": 43.90,
    }
    row.update(fields)
    return row
