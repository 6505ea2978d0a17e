"""Categories: the day's cases per category against the previous 7-day daily average, as bars
and a table; its `all` row is the headline's "cases today".

Query queries/categories.sql (mart_daily_counts per station, bureau and region: the page reads
its own scope's rows); partial templates/sections/categories.html.j2.
"""

from __future__ import annotations

import polars as pl

from reports import figures
from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, Scope, mart_scope
from reports.views import fmt_int, fmt_num

QUERIES = ("categories",)


def day_counts(frames: Frames, scope: Scope) -> pl.DataFrame:
    """The page's day count and previous 7-day daily average per category, `all` included."""
    counts = frames.scoped("categories", *mart_scope(scope))
    return counts.sort("category") if counts.height else counts


def category_rows(counts: pl.DataFrame, msg: Messages) -> list[dict]:
    """The day's cases per category against the previous 7-day daily average."""
    if counts.height == 0:
        return []
    return [
        {
            "label": msg.label("category", r["category"]),
            "day_count": fmt_int(r["day_count"]),
            "previous_7d_daily_avg": fmt_num(r["previous_7d_daily_avg"]),
        }
        for r in counts.sort(["day_count", "category"], descending=[True, False]).iter_rows(
            named=True
        )
    ]


def context(frames: Frames, page: Page) -> dict:
    """The page's category rows and bars, and its total of the day (the headline's)."""
    counts = day_counts(frames, page.scope)
    by_category = counts.filter(pl.col("category") != "all") if counts.height else counts
    total = counts.filter(pl.col("category") == "all") if counts.height else counts
    return {
        "rows": category_rows(by_category, page.msg),
        "figure": figures.figure_html(
            figures.category_bars(by_category, page.msg), "fig-categories"
        )
        if by_category.height
        else None,
        "total_today": fmt_int(total["day_count"][0] if total.height else 0),
        "total_prev_avg": fmt_num(total["previous_7d_daily_avg"][0] if total.height else 0.0),
    }
