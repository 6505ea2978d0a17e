"""CompStat: per total, kind and category, each window's count (1 day, 7 and 28 days, year to
date) against the previous period (环比) and the same period last year (同比), with the mart's
z, percent change and flag; and "what changed", the significant 7- and 28-day changes that the
headline lists.

Query queries/compstat.sql (mart_trends at the page's own scope: station, bureau or region);
partial templates/sections/compstat.html.j2.
"""

from __future__ import annotations

import polars as pl

from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, mart_scope
from reports.views import comparison, fmt_int

QUERIES = ("compstat",)
WINDOWS = ("1d", "7d", "28d", "ytd")
KINDS = ("criminal", "public_order", "dispute", "other")


def _order(dimension: str, category: str, count_28d: int) -> tuple:
    """Total first, then the kinds in policy order, then categories by 28-day count."""
    if dimension == "total":
        return (0, 0, "")
    if dimension == "kind":
        return (1, KINDS.index(category) if category in KINDS else 9, category)
    return (2, -count_28d, category)


def compstat_rows(trends: pl.DataFrame, msg: Messages) -> list[dict]:
    """CompStat table rows of one scope's mart_trends rows, one per total, kind and category,
    each with its windows' counts and comparisons as the mart judged them."""
    if trends.height == 0:
        return []
    cells: dict[tuple, dict] = {}
    for row in trends.iter_rows(named=True):
        key = (row["dimension"], row["category"])
        current = int(row["current_count"] or 0)
        cells.setdefault(key, {})[row["time_window"]] = {
            "current": fmt_int(current),
            "current_value": current,
            "prev": comparison(
                current,
                row["previous_count"],
                row["poisson_z"],
                row["pct_vs_previous"],
                row["previous_flag"],
                bool(row["is_previous_complete"]),
                msg,
            ),
            "ly": comparison(
                current,
                row["last_year_count"],
                row["poisson_z_vs_last_year"],
                row["pct_vs_last_year"],
                row["last_year_flag"],
                bool(row["is_last_year_complete"]),
                msg,
            ),
        }
    rows = []
    for (dimension, category), windows in cells.items():
        count_28d = windows.get("28d", {}).get("current_value", 0)
        label = (
            msg.t("compstat", "total")
            if dimension == "total"
            else msg.label("kind" if dimension == "kind" else "category", category)
        )
        rows.append(
            {
                "dimension": dimension,
                "category": category,
                "label": label,
                "windows": [windows.get(w) for w in WINDOWS],
                "order": _order(dimension, category, count_28d),
            }
        )
    return sorted(rows, key=lambda r: r["order"])


def changes(rows: list[dict], msg: Messages, limit: int = 6) -> list[str]:
    """What changed: the significant 7- and 28-day changes, strongest first, as sentences."""
    found = []
    for row in rows:
        for window_index, window in enumerate(WINDOWS):
            cell = row["windows"][window_index]
            if window not in ("7d", "28d") or cell is None:
                continue
            for key, text_key in (("prev", "change_previous"), ("ly", "change_last_year")):
                comp = cell[key]
                if comp["flag"].css not in ("flag up", "flag down"):
                    continue
                direction = msg.t("flag", "rose" if comp["z_value"] > 0 else "fell")
                found.append(
                    (
                        -abs(comp["z_value"]),
                        msg.t("text", text_key).format(
                            label=row["label"],
                            window=msg.label("window", window),
                            direction=direction,
                            current=cell["current"],
                            base=comp["base"],
                            z=comp["z"],
                        ),
                    )
                )
    return [text for _, text in sorted(found, key=lambda f: f[0])[:limit]]


def context(frames: Frames, page: Page) -> dict:
    """The page scope's CompStat rows, the windows they show and what changed."""
    rows = compstat_rows(frames.scoped("compstat", *mart_scope(page.scope)), page.msg)
    return {"rows": rows, "windows": WINDOWS, "changes": changes(rows, page.msg)}
