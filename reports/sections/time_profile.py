"""Time profile: the hour × weekday heatmap of the aoristic weights of the page's cases, and its
top periods (时段).

Queries queries/time_profile.sql (mart_time_profile) and queries/time_profile__periods.sql
(mart_top_time_periods: another grain, so a second query), each read at the page's own scope
(station, bureau or region); partial templates/sections/time_profile.html.j2.
"""

from __future__ import annotations

import polars as pl

from reports import figures
from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, mart_scope
from reports.views import fmt_num, fmt_pct, period_label

QUERIES = ("time_profile", "time_profile__periods")


def period_rows(periods: pl.DataFrame, msg: Messages) -> list[dict]:
    """Top time periods (时段) of a scope."""
    if periods.height == 0:
        return []
    return [
        {
            "rank": r["period_rank"],
            "period": period_label(r["weekday"], r["block_start_hour"], r["block_end_hour"], msg),
            "weight": fmt_num(r["weight"]),
            "share": fmt_pct(r["share"]),
        }
        for r in periods.sort("period_rank").iter_rows(named=True)
    ]


def context(frames: Frames, page: Page) -> dict:
    """The page's heatmap and top periods."""
    scope, msg = page.scope, page.msg
    profile = frames.scoped("time_profile", *mart_scope(scope))
    periods = frames.scoped("time_profile__periods", *mart_scope(scope))
    return {
        "figure": figures.figure_html(figures.time_heatmap(profile, msg), "fig-heatmap"),
        "period_rows": period_rows(periods, msg),
    }
