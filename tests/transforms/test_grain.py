"""Every model's key (the `-- key:` line of its header) holds on a simulated county: its columns
exist, are never null, and no two rows share them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from beatbrief.config import Settings
from beatbrief.simulate import run_simulation
from tests.pipeline import run_day
from transforms import warehouse
from transforms.runner import Model, discover_models

END = date(2026, 11, 27)
MODELS = discover_models()


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A clean simulated county, loaded and built for END once; its warehouse, open."""
    home = tmp_path_factory.mktemp("grain") / "home"
    run_simulation(home, end=END, days=35, seed=11, scale="county", fault_rate=0.0, ping_days=1)
    settings = Settings(home=home)
    assert run_day(settings, END) == {}
    with warehouse.connect(settings) as con:
        yield con


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_the_key_is_never_null_and_unique(county: duckdb.DuckDBPyConnection, model: Model):
    columns = {
        name
        for (name,) in county.execute(
            "select column_name from information_schema.columns where table_name = ?",
            [model.name],
        ).fetchall()
    }
    assert set(model.key) <= columns, f"{model.name} lacks key column(s)"
    # identifiers from the header, which load_model checked are plain column names
    key = ", ".join(f'"{column}"' for column in model.key)
    any_null = " or ".join(f'"{column}" is null' for column in model.key)
    rows, nulls = county.execute(
        f"select count(*), count(*) filter (where {any_null}) from {model.name}"
    ).fetchall()[0]
    assert rows > 0, f"{model.name} is empty: its key is not tested"
    assert nulls == 0, f"{model.name}: {nulls} of {rows} rows have a null key column"
    duplicates = county.execute(
        f"select {key}, count(*) from {model.name} group by all having count(*) > 1 "
        "order by all limit 3"
    ).fetchall()
    assert duplicates == [], f"{model.name}: rows share the key ({', '.join(model.key)})"
