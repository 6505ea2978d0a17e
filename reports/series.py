"""The commander view's daily series, as mart_case_series computes it (queries/case_series.sql):
every day's count, the rolling 28-day count and its Poisson control band are the mart's; here
they are cut to the charts' spans: the 13 months against the same months last year, and the
rolling counts of the last 3 years. A history shorter than the charts' span shows what exists;
nothing is extrapolated.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

YEARS = 3
BASELINE_DAYS = 365
ROLLING_DAYS = 28
PANELS_TOP_CATEGORIES = 5


def series_start(as_of: date) -> date:
    """The first day the charts can use: 3 years of rolling counts, each with its 28 days and
    the band's year of baseline before them."""
    return as_of - timedelta(days=365 * YEARS + BASELINE_DAYS + ROLLING_DAYS)


def daily_series(series: pl.DataFrame, first: date, as_of: date) -> pl.DataFrame:
    """The mart's daily rows from `first` to `as_of` (every day present, zeros included)."""
    return series.filter(pl.col("reported_date").is_between(first, as_of)).sort(
        "dimension", "category", "reported_date"
    )


def panel_series(daily: pl.DataFrame, panel: tuple[str, str]) -> pl.DataFrame:
    """The daily counts of one panel's (dimension, category)."""
    dimension, category = panel
    return daily.filter((pl.col("dimension") == dimension) & (pl.col("category") == category))


def monthly_rows(months: pl.DataFrame, panel: tuple[str, str]) -> list[dict]:
    """One panel's 13 months (queries/case_series__months.sql: the last month cut at the page's
    day, last year's months cut the same way, a month before the history null)."""
    dimension, category = panel
    rows = months.filter((pl.col("dimension") == dimension) & (pl.col("category") == category))
    return [
        {"month": r["month"], "current": r["current_cases"], "last_year": r["last_year_cases"]}
        for r in rows.sort("month_index").iter_rows(named=True)
    ]


def rolling_rows(daily: pl.DataFrame, first: date, as_of: date) -> pl.DataFrame:
    """The mart's rolling 28-day counts over the last 3 years (where the history allows) with
    the control band of each day (null where less than half of its baseline year is in the
    history)."""
    start = max(first + timedelta(days=ROLLING_DAYS - 1), as_of - timedelta(days=365 * YEARS - 1))
    return daily.filter(pl.col("reported_date") >= start).select(
        "reported_date",
        pl.col("rolling_28d").alias("rolling"),
        pl.col("band_mean").alias("mean"),
        pl.col("band_lower").alias("lower"),
        pl.col("band_upper").alias("upper"),
    )


def panels(daily: pl.DataFrame, as_of: date) -> list[tuple[str, str]]:
    """Which series get a panel: the total, the three main kinds, the top categories of the
    last year."""
    chosen = [("total", "all"), ("kind", "criminal"), ("kind", "public_order"), ("kind", "dispute")]
    recent = (
        daily.filter(
            (pl.col("dimension") == "category")
            & (pl.col("reported_date") > as_of - timedelta(days=365))
        )
        .group_by("category")
        .agg(pl.col("cases").sum())
        .sort(["cases", "category"], descending=[True, False])
    )
    chosen += [("category", c) for c in recent["category"].head(PANELS_TOP_CATEGORIES)]
    present = set(daily.select("dimension", "category").unique().iter_rows())
    return [p for p in chosen if p in present]
