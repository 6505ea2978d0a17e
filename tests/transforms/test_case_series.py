"""mart_case_series: the commander view's daily series with rolling 28-day counts and their
Poisson control bands, on a history that starts part-way."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from tests.transforms.conftest import STATIONS, case
from transforms.runner import discover_models, model_parameters, run_model

FIRST, AS_OF = date(2025, 1, 1), date(2026, 6, 30)


def build_series(tiny) -> list[dict]:
    tiny.add("stations", STATIONS)
    days = (AS_OF - FIRST).days + 1
    tiny.add(
        "cases",
        [
            case(f"C{d}-{k}", f"{FIRST + timedelta(days=d)} 0{k}:00:00", category="theft")
            for d in range(days)
            for k in range(2)
        ]
        + [case("F1", "2026-06-01 10:00:00", kind="dispute", category="neighbour_dispute")],
    )
    models = {m.name: m for m in discover_models()}
    params = model_parameters(tiny.settings, AS_OF)
    for name in ("stg_stations", "stg_case_history", "stg_cases", "mart_case_series"):
        run_model(tiny.con, models[name], params)
    return tiny.frame(
        "select * from mart_case_series where dimension = 'total' order by reported_date"
    ).to_dicts()


def test_rolling_counts_and_poisson_bands(tiny):
    rows = build_series(tiny)
    assert (rows[0]["reported_date"], rows[-1]["reported_date"]) == (FIRST, AS_OF)
    assert rows[26]["rolling_28d"] is None and rows[27]["rolling_28d"] == 56
    # a band needs half a year (182 days) of baseline ending 28 days before the day
    banded = [r for r in rows if r["band_mean"] is not None]
    assert banded[0]["reported_date"] == FIRST + timedelta(days=27 + 182)
    assert banded[0]["baseline_days"] == 182
    assert banded[0]["band_mean"] == pytest.approx(56)
    assert banded[0]["band_upper"] == pytest.approx(56 + 2 * math.sqrt(56))
    assert banded[0]["band_lower"] == pytest.approx(56 - 2 * math.sqrt(56))
    # the baseline year is at most 365 days
    assert max(r["baseline_days"] for r in rows) == 365
    # F1, on 2026-06-01, counts in its day's total
    june_first = next(r for r in rows if r["reported_date"] == date(2026, 6, 1))
    assert june_first["cases"] == 3


def test_every_day_is_present_for_a_series_once_it_has_a_case(tiny):
    build_series(tiny)
    disputes = tiny.rows(
        "select count(*), sum(cases) from mart_case_series "
        "where dimension = 'kind' and category = 'dispute'"
    )
    assert disputes == [((AS_OF - FIRST).days + 1, 1)]


def test_no_band_before_half_a_year_of_baseline(tiny):
    rows = build_series(tiny)
    early = rows[27 + 181]
    assert (early["band_mean"], early["band_lower"], early["band_upper"]) == (None, None, None)
