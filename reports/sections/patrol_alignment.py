"""Patrol alignment: how the page's patrol minutes met its hot cells (Koper dose share, hot
cells dosed and unvisited, minutes inside and outside hot cells), and each team's share of
minutes in hot cells, misaligned teams first.

Queries queries/patrol_alignment.sql (mart_patrol_alignment_totals: a station's, a bureau's or
the region's figures, pooled in SQL) and queries/patrol_alignment__teams.sql
(mart_patrol_team_alignment, per team: another grain); station names from the shared
queries/stations.sql. Partial templates/sections/patrol_alignment.html.j2.
"""

from __future__ import annotations

import polars as pl

from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, gather, mart_scope, members, names
from reports.views import Flag, fmt_int, fmt_num, fmt_pct

QUERIES = ("patrol_alignment", "patrol_alignment__teams", "stations")


def alignment_items(alignment: pl.DataFrame, msg: Messages) -> list[dict]:
    """The page's patrol alignment: its one mart_patrol_alignment_totals row, formatted."""
    if alignment.height == 0:
        return []
    total = alignment.row(0, named=True)
    values = {
        "hot_cells": fmt_int(total["hot_cells"]),
        "koper_share": fmt_pct(total["koper_share"]),
        "hot_cells_dosed": fmt_int(total["hot_cells_dosed"]),
        "unvisited_hot_cells": fmt_int(total["unvisited_hot_cells"]),
        "patrol_minutes": fmt_num(total["patrol_minutes"], 0),
        "hot_minutes_share": fmt_pct(total["hot_minutes_share"]),
        "visible_patrol_minutes": fmt_num(total["visible_patrol_minutes"], 0),
    }
    return [{"key": k, "label": msg.t("patrol", k), "value": v} for k, v in values.items()]


def team_rows(teams: pl.DataFrame, station_names: dict[str, str], msg: Messages) -> list[dict]:
    """Each patrol team's share of minutes in hot cells, misaligned teams first."""
    if teams.height == 0:
        return []
    rows = teams.sort(
        ["is_misaligned", "hot_minutes_share", "team_id"],
        descending=[True, False, False],
        nulls_last=True,
    )
    return [
        {
            "team": r["team_id"],
            "station": station_names.get(r["station_id"], r["station_id"]),
            "minutes": fmt_num(r["patrol_minutes"], 0),
            "hot_share": fmt_pct(r["hot_minutes_share"]),
            "mean_z": fmt_num(r["mean_gi_z"], 2),
            "flag": Flag("✗", "flag worse", msg.t("flag", "misaligned"))
            if r["is_misaligned"]
            else Flag("✓", "flag better", msg.t("flag", "aligned")),
        }
        for r in rows.iter_rows(named=True)
    ]


def context(frames: Frames, page: Page) -> dict:
    """The page's alignment figures and its teams."""
    key, ids = members(page.scope)
    station_names = names(frames["stations"], "station_id", "station_name")
    return {
        "measures": alignment_items(
            frames.scoped("patrol_alignment", *mart_scope(page.scope)), page.msg
        ),
        "team_rows": team_rows(
            gather(frames, "patrol_alignment__teams", key, ids), station_names, page.msg
        ),
    }
