"""Near-repeat alerts: the alert zones still valid around recent cases (radius, days, Knox
ratio and p from the mart), strongest first; the hotspot map draws the same zones.

Query queries/alerts.sql (mart_near_repeat_alerts, each source case's strongest zone); the
community names come from the shared queries/communities.sql. Partial
templates/sections/alerts.html.j2.
"""

from __future__ import annotations

import polars as pl

from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, gather, members, names
from reports.views import DASH, fmt_int, fmt_num

QUERIES = ("alerts", "communities")
LIMIT = 25


def alert_rows(
    alerts: pl.DataFrame, communities: dict[str, str], msg: Messages, limit: int = LIMIT
) -> list[dict]:
    """Near-repeat alert zones still valid, strongest Knox ratio first."""
    if alerts.height == 0:
        return []
    rows = alerts.sort(["knox_ratio", "valid_until", "alert_id"], descending=[True, True, False])
    return [
        {
            "category": msg.label("category", r["category"]),
            "community": communities.get(r["community_id"], r["community_id"] or DASH),
            "radius": fmt_int(r["radius_m"]),
            "days": fmt_int(r["time_max_days"]),
            "valid_until": r["valid_until"].isoformat(),
            "source_date": r["source_reported_date"].isoformat(),
            "knox": fmt_num(r["knox_ratio"], 2),
            "p": fmt_num(r["p_value"], 3),  # resolved to 0.001 (mart_near_repeat)
        }
        for r in rows.head(limit).iter_rows(named=True)
    ]


def context(frames: Frames, page: Page) -> dict:
    """The page's alert zones (the first LIMIT) and how many there are."""
    alerts = gather(frames, "alerts", *members(page.scope))
    communities = names(frames["communities"], "community_id", "community_name")
    return {"rows": alert_rows(alerts, communities, page.msg), "count": alerts.height}
