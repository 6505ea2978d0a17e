"""The model runner: dependencies, headers, layer order, parameters, one transaction, and
rebuilding history for late cases."""

from __future__ import annotations

import configparser
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import sqlglot
from sqlglot import exp

from beatbrief.config import REPO_ROOT, Settings
from tests.transforms.conftest import STATIONS, case
from transforms import warehouse
from transforms.rollup import province_models, province_parameters
from transforms.runner import (
    LAYERS,
    QUERIES_DIR,
    ModelError,
    build_models,
    discover_models,
    load_model,
    model_parameters,
    reads_from,
    referenced_tables,
    run_model,
    warehouse_tables,
)

QUERY_FILES = sorted(
    [*QUERIES_DIR.glob("*.sql"), *(REPO_ROOT / "reports" / "queries").glob("*.sql")]
)


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


def write_models(root: Path, bodies: dict[str, str]) -> Path:
    """Model files under root/<layer>/<name>.sql, each with a minimal header."""
    for where, body in bodies.items():
        path = root / f"{where}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"-- model: {path.stem}\n-- grain: one row per id\n-- key: id\n"
        path.write_text(f"{header}-- materialized: table\n{body}\n", encoding="utf-8")
    return root


def test_dependencies_are_the_tables_a_model_reads_not_those_its_comments_name(tmp_path):
    root = write_models(
        tmp_path,
        {
            "staging/stg_a": "select case_id as id from accepted_cases",
            "intermediate/int_b": "-- unlike int_c, int_b keeps every row\n"
            "with stg_x as (select id from stg_a)\n"
            "select stg_x.id from stg_x cross join range(3) as r (i) -- not int_c either",
            "intermediate/int_c": "select id from stg_a",
        },
    )
    models = {m.name: m for m in discover_models(root)}
    assert models["int_b"].inputs == {"stg_a"}
    assert models["stg_a"].inputs == {"accepted_cases"}
    assert reads_from(tuple(models.values()), "int_c") == set()
    assert reads_from(tuple(models.values()), "stg_a") == {"int_b", "int_c"}


def test_a_model_reading_a_later_layer_is_refused_but_a_comment_naming_one_is_not(tmp_path):
    comment = write_models(
        tmp_path / "comment",
        {
            "staging/stg_a": "-- int_b reads this\nselect case_id as id from accepted_cases",
            "intermediate/int_b": "select id from stg_a",
        },
    )
    assert [m.name for m in discover_models(comment)] == ["stg_a", "int_b"]
    reads = write_models(
        tmp_path / "reads",
        {
            "staging/stg_a": "select id from int_b",
            "intermediate/int_b": "select case_id as id from accepted_cases",
        },
    )
    with pytest.raises(ValueError, match="stg_a \\(staging\\) reads the later layer's int_b"):
        discover_models(reads)


def test_a_model_reading_an_unknown_table_is_refused(tmp_path):
    root = write_models(tmp_path, {"staging/stg_a": "select id from stg_typo"})
    with pytest.raises(ValueError, match=r"stg_a\.sql: reads unknown table\(s\) \['stg_typo'\]"):
        discover_models(root)


def test_a_model_without_a_key_is_refused(tmp_path):
    path = tmp_path / "staging" / "stg_a.sql"
    path.parent.mkdir()
    path.write_text("-- model: stg_a\n-- materialized: table\nselect 1 as id\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header lacks '-- key:"):
        load_model(path)


def test_every_query_reads_only_models_and_warehouse_tables():
    known = {m.name for m in discover_models() + tuple(province_models())} | warehouse_tables()
    for path in QUERY_FILES:
        tables = referenced_tables(path.read_text(encoding="utf-8"))
        assert tables and tables <= known, f"{path}: {sorted(tables - known)}"


def test_sqlfluff_knows_every_parameter_the_sql_takes_and_no_other():
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / ".sqlfluff", encoding="utf-8")
    linted = set(config["sqlfluff:templater:placeholder"]) - {"param_style"}
    queries = {
        placeholder.name
        for path in QUERY_FILES
        for placeholder in sqlglot.parse_one(
            path.read_text(encoding="utf-8"), dialect="duckdb"
        ).find_all(exp.Placeholder)
    }
    province = {
        placeholder.name
        for model in province_models()
        for placeholder in sqlglot.parse_one(model.sql, dialect="duckdb").find_all(exp.Placeholder)
    }
    assert province <= set(province_parameters(date(2026, 1, 1)))
    models = set(model_parameters(Settings(), date(2026, 1, 1)))
    assert linted == models | set(province_parameters(date(2026, 1, 1))) | queries


def test_an_incremental_mart_keeps_its_history_when_a_new_version_adds_a_column(tmp_path):
    header = "-- model: mart_a\n-- grain: one row per day\n-- key: as_of_date\n"
    header += "-- materialized: incremental\n"
    path = tmp_path / "marts" / "mart_a.sql"
    path.parent.mkdir(parents=True)
    con = warehouse.open_connection(":memory:", Settings(home=tmp_path))
    path.write_text(header + "select cast($as_of_date as date) as as_of_date, 1 as n\n")
    run_model(con, load_model(path), {"as_of_date": date(2026, 1, 1)})
    path.write_text(header + "select cast($as_of_date as date) as as_of_date, 2 as n, 'x' as y\n")
    run_model(con, load_model(path), {"as_of_date": date(2026, 1, 2)})
    run_model(con, load_model(path), {"as_of_date": date(2026, 1, 2)})  # a re-run replaces
    assert con.execute("select * from mart_a order by as_of_date").fetchall() == [
        (date(2026, 1, 1), 1, None),
        (date(2026, 1, 2), 2, "x"),
    ]
