"""The model runner: layer order, one transaction, and rebuilding history for late cases."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from beatbrief.config import Settings
from tests.transforms.conftest import STATIONS, case
from transforms import warehouse
from transforms.runner import LAYERS, ModelError, build_models, discover_models, run_model


def add(settings: Settings, feed: str, rows: list[dict], partition: date) -> None:
    frame = pl.DataFrame(rows).with_columns(
        pl.lit(partition).alias("_partition_date"),
        pl.lit(f"{partition}.csv").alias("_file_path"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_line_number"),
    )
    with warehouse.connect(settings) as con:
        warehouse.append_frame(con, warehouse.accepted_table(feed), frame)


def day_counts(settings: Settings) -> dict:
    with warehouse.connect(settings) as con:
        return dict(
            con.execute(
                "select as_of_date, day_count from mart_daily_counts "
                "where scope = 'bureau' and category = 'all' order by 1"
            ).fetchall()
        )


def test_models_run_layer_by_layer():
    layers = [LAYERS.index(m.layer) for m in discover_models()]
    assert layers == sorted(layers)


def test_a_late_case_rebuilds_the_marts_of_the_days_it_belongs_to(tmp_path):
    settings = Settings(home=tmp_path)
    add(settings, "stations", STATIONS, date(2026, 3, 1))
    add(settings, "cases", [case("C1", "2026-03-01 10:00:00")], date(2026, 3, 1))
    assert build_models(settings, date(2026, 3, 1))["rebuilt_dates"] == []
    add(settings, "cases", [case("C2", "2026-03-02 10:00:00")], date(2026, 3, 2))
    build_models(settings, date(2026, 3, 2))
    assert day_counts(settings) == {date(2026, 3, 1): 1, date(2026, 3, 2): 1}
    # C3 happened on 1 March but is delivered on 3 March; C4 is an ordinary new case
    add(
        settings,
        "cases",
        [case("C3", "2026-03-01 23:00:00"), case("C4", "2026-03-03 08:00:00")],
        date(2026, 3, 3),
    )
    built = build_models(settings, date(2026, 3, 3))
    assert built["rebuilt_dates"] == ["2026-03-01", "2026-03-02"]
    assert day_counts(settings) == {date(2026, 3, 1): 2, date(2026, 3, 2): 1, date(2026, 3, 3): 1}
    # nothing new: nothing is rebuilt again
    assert build_models(settings, date(2026, 3, 3))["rebuilt_dates"] == []


def test_a_status_update_alone_does_not_rebuild_history(tmp_path):
    settings = Settings(home=tmp_path)
    add(settings, "stations", STATIONS, date(2026, 3, 1))
    add(settings, "cases", [case("C1", "2026-03-01 10:00:00")], date(2026, 3, 1))
    build_models(settings, date(2026, 3, 1))
    add(
        settings,
        "cases",
        [case("C1", "2026-03-01 10:00:00", status="solved", updated_at="2026-03-02 09:00:00")],
        date(2026, 3, 2),
    )
    assert build_models(settings, date(2026, 3, 2))["rebuilt_dates"] == []


def test_a_failing_model_leaves_the_warehouse_as_it_was(tmp_path, monkeypatch):
    settings = Settings(home=tmp_path)
    add(settings, "stations", STATIONS, date(2026, 3, 1))
    add(settings, "cases", [case("C1", "2026-03-01 10:00:00")], date(2026, 3, 1))
    build_models(settings, date(2026, 3, 1))
    add(settings, "cases", [case("C2", "2026-03-02 10:00:00")], date(2026, 3, 2))

    def failing(con, model, params):
        if model.name == "mart_time_profile":
            raise ModelError("simulated failure half-way through the marts")
        run_model(con, model, params)

    monkeypatch.setattr("transforms.runner.run_model", failing)
    with pytest.raises(ModelError):
        build_models(settings, date(2026, 3, 2))
    assert day_counts(settings) == {date(2026, 3, 1): 1}
    with warehouse.connect(settings) as con:
        assert con.execute("select count(*) from stg_cases").fetchall() == [(1,)]
