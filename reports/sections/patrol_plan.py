"""Patrol plan: tomorrow's plan entries of the page's stations (when, where, minutes, visits and
why each was chosen, in the page's language), and a station's CSV of it (reports/plans.py).

Query queries/patrol_plan.sql (mart_patrol_plan); station names from the shared
queries/stations.sql. Partial templates/sections/patrol_plan.html.j2.
"""

from __future__ import annotations

import os
from datetime import timedelta

import polars as pl

from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, gather, members, names
from reports.views import DASH, fmt_int, fmt_num, fmt_pct, period_label

QUERIES = ("patrol_plan", "stations")
LIMIT = 20


def plan_reason(row: dict, msg: Messages) -> str:
    """Why a plan entry was chosen, in the page's language, from its structured columns."""
    parts = []
    for code in (row.get("reason_codes") or "").split(";"):
        if code.startswith("hot_class_"):
            parts.append(
                msg.t("plan", "hot_class").format(
                    label=msg.label("hot_class", row["hot_class"]),
                    z=fmt_num(row["gi_z"]),
                    cases=fmt_int(row["cases"]),
                )
            )
        elif code == "positive_z":
            parts.append(msg.t("plan", "positive_z").format(z=fmt_num(row["gi_z"])))
        elif code.startswith("top_period_"):
            parts.append(
                msg.t("plan", "top_period").format(
                    rank=row["period_rank"], share=fmt_pct(row["period_share"])
                )
            )
        elif code == "profile_block":
            parts.append(msg.t("plan", "profile_block"))
        elif code == "near_repeat_alert":
            categories = [
                msg.label("category", c)
                for c in (row.get("alert_categories") or "").split(",")
                if c
            ]
            until = row.get("alert_valid_until")
            parts.append(
                msg.t("plan", "alert").format(
                    categories=msg.t("text", "list_separator").join(categories),
                    until=until.isoformat() if until else DASH,
                )
            )
    return msg.t("text", "clause_separator").join(parts)


def plan_rows(
    plan: pl.DataFrame, station_names: dict[str, str], msg: Messages, limit: int = LIMIT
) -> list[dict]:
    """Tomorrow's patrol plan entries, in plan order."""
    if plan.height == 0:
        return []
    return [
        {
            "rank": r["plan_rank"],
            "station": station_names.get(r["station_id"], r["station_id"]),
            "when": period_label(r["weekday"], r["block_start_hour"], r["block_end_hour"], msg),
            "where": r["segment_name"] or r["road_name"] or r["community_name"] or DASH,
            "community": r["community_name"] or DASH,
            "minutes": fmt_int(r["recommended_minutes"]),
            "visits": fmt_int(r["recommended_visits"]),
            "reason": plan_reason(r, msg),
        }
        for r in plan.sort("plan_rank").head(limit).iter_rows(named=True)
    ]


def context(frames: Frames, page: Page) -> dict:
    """The page's plan for the next day (the first LIMIT entries) and a station's CSV link."""
    scope = page.scope
    plan = gather(frames, "patrol_plan", *members(scope))
    station_names = names(frames["stations"], "station_id", "station_name")
    plan_date = page.as_of + timedelta(days=1)
    csv = None
    if scope.kind == "station":
        path = page.settings.plans_dir(plan_date) / f"{scope.station_ids[0]}.csv"
        csv = os.path.relpath(path, page.folder) if path.exists() else None
    return {
        "rows": plan_rows(plan, station_names, page.msg),
        "count": plan.height,
        "station_column": scope.kind != "station",
        "date": plan_date.isoformat(),
        "csv": csv,
    }
