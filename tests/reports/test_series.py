"""The commander view's series: monthly counts against last year cut at the day, and rolling
28-day counts with their Poisson control bands, on a history that starts part-way."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from reports import series


def daily(first: date, last: date, per_day: int = 1) -> pl.DataFrame:
    days = pl.date_range(first, last, eager=True)
    return pl.DataFrame(
        {
            "dimension": "total",
            "category": "all",
            "reported_date": days,
            "cases": [per_day] * len(days),
        }
    )


def test_monthly_rows_cut_the_last_month_and_blank_months_before_the_history():
    first, as_of = date(2025, 12, 10), date(2026, 11, 20)
    rows = series.monthly_rows(daily(first, as_of), first, as_of)
    assert [r["month"] for r in rows][:2] == ["2025-11", "2025-12"] and rows[-1][
        "month"
    ] == "2026-11"
    assert rows[0]["current"] is None and rows[1]["current"] is None  # Dec 2025 starts earlier
    assert rows[2]["current"] == 31  # January, whole
    assert rows[-1]["current"] == 20  # November up to the 20th
    assert all(r["last_year"] is None for r in rows)  # last year is before the history


def test_rolling_counts_and_poisson_bands():
    first, as_of = date(2025, 1, 1), date(2026, 6, 30)
    rows = series.rolling_rows(daily(first, as_of, per_day=2), first, as_of)
    assert rows["reported_date"][0] == first + timedelta(days=27)
    assert set(rows["rolling"].to_list()) == {56}
    banded = rows.filter(pl.col("mean").is_not_null())
    # a band needs half a year of baseline ending 28 days before the day
    assert banded["reported_date"][0] == first + timedelta(days=27 + series.MIN_BASELINE_DAYS)
    assert banded["mean"][0] == pytest.approx(56)
    assert banded["upper"][0] == pytest.approx(56 + 2 * math.sqrt(56))
    assert banded["lower"][0] == pytest.approx(56 - 2 * math.sqrt(56))
