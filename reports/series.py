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


def _month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _same_day_last_year(day: date) -> date:
    """The same calendar day a year earlier (Feb 29 -> Feb 28)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


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


def monthly_rows(daily: pl.DataFrame, first: date, as_of: date) -> list[dict]:
    """The 13 months ending with `as_of`'s month (the last one cut at `as_of`'s day) and the
    same months a year earlier cut the same way; a month not wholly in the history is null."""
    counts = dict(zip(daily["reported_date"].to_list(), daily["cases"].to_list(), strict=True))

    def total(start: date, end: date):
        if start < first:
            return None
        return sum(counts.get(start + timedelta(days=k), 0) for k in range((end - start).days + 1))

    rows = []
    for back in range(12, -1, -1):
        start = _month_start(as_of, back)
        end = as_of if back == 0 else _month_start(as_of, back - 1) - timedelta(days=1)
        rows.append(
            {
                "month": start.strftime("%Y-%m"),
                "current": total(start, end),
                "last_year": total(_same_day_last_year(start), _same_day_last_year(end)),
            }
        )
    return rows


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
