"""The commander view's series: monthly counts against last year cut at the day, and rolling
28-day counts with their Poisson control bands, on a history that starts part-way."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from reports import data, series


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


def months_of(first: date, as_of: date) -> pl.DataFrame:
    """The 13-month query on a series of one case a day from `first` to `as_of`."""
    con = duckdb.connect()
    con.register("days", daily(first, as_of))
    con.execute("create table mart_case_series as select * from days")
    con.execute("create table stg_cases as select reported_date from days")
    return data.run_query(con, "case_series__months", {"as_of_date": as_of, "start_date": first})


def test_monthly_rows_cut_the_last_month_and_blank_months_before_the_history():
    first, as_of = date(2025, 12, 10), date(2026, 11, 20)
    rows = series.monthly_rows(months_of(first, as_of), ("total", "all"))
    assert [r["month"] for r in rows][:2] == ["2025-11", "2025-12"] and rows[-1][
        "month"
    ] == "2026-11"
    assert rows[0]["current"] is None and rows[1]["current"] is None  # Dec 2025 starts earlier
    assert rows[2]["current"] == 31  # January, whole
    assert rows[-1]["current"] == 20  # November up to the 20th
    assert all(r["last_year"] is None for r in rows)  # last year is before the history


def test_last_years_months_are_cut_the_same_way_and_feb_29_maps_to_feb_28():
    first, as_of = date(2023, 1, 1), date(2025, 2, 28)
    rows = series.monthly_rows(months_of(first, as_of), ("total", "all"))
    assert rows[-1] == {"month": "2025-02", "current": 28, "last_year": 28}  # not Feb 29, 2024
    assert rows[0] == {"month": "2024-02", "current": 29, "last_year": 28}


def test_rolling_rows_are_the_marts_last_three_years():
    first, as_of = date(2022, 1, 1), date(2026, 6, 30)
    rows = daily(first, as_of).with_columns(
        pl.lit(28).alias("rolling_28d"),
        pl.lit(28.0).alias("band_mean"),
        pl.lit(17.4).alias("band_lower"),
        pl.lit(38.6).alias("band_upper"),
    )
    got = series.rolling_rows(rows, first, as_of)
    assert got["reported_date"][0] == as_of - timedelta(days=365 * series.YEARS - 1)
    assert got.columns == ["reported_date", "rolling", "mean", "lower", "upper"]
    # a history shorter than 3 years starts at its 28th day
    assert series.rolling_rows(rows, as_of - timedelta(days=99), as_of)["reported_date"][0] == (
        as_of - timedelta(days=72)
    )
