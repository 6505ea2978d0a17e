"""KPIs: the headline of every page, the policy's four KPIs (发案少、秩序好、社会稳定、群众满意)
of the page's scope, each against its previous window with change, z and flag.

Query queries/kpis.sql (mart_kpis: a station's own figures, or a bureau's or the region's
pooled in SQL); partial templates/sections/kpis.html.j2. The headline's "cases today" is the
categories section's figure and its "what changed" the CompStat section's list; the partial
shows them from those sections' contexts, so neither is read or built twice.
"""

from __future__ import annotations

from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, mart_scope
from reports.views import DASH, count_flag, fmt_int, fmt_pct, fmt_z, rate_flag

QUERIES = ("kpis",)


def kpi_row(frames: Frames, kind: str, scope_id: str) -> dict | None:
    """One scope's mart_kpis row (None when the mart has none)."""
    rows = frames.scoped("kpis", kind, scope_id)
    return rows.row(0, named=True) if rows.height else None


def kpi_cards(row: dict | None, msg: Messages) -> list[dict]:
    """The four KPI cards of one scope's mart_kpis row. Previous values are shown only while
    the previous window lies wholly inside the case history."""
    if row is None:
        return []
    cards = []
    for key in ("kpi_few_cases", "kpi_good_order"):
        complete = row[f"{key}_flag"] != "incomplete"
        cards.append(
            {
                "key": key,
                "value": fmt_int(row[key] or 0),
                "previous": fmt_int(row[f"previous_{key}"]) if complete else DASH,
                "change": f"{row[f'{key}_change']:+d}" if complete else DASH,
                "z": fmt_z(row[f"{key}_z"]) if complete else DASH,
                "flag": count_flag(row[f"{key}_flag"], msg),
            }
        )
    for key in ("kpi_stability", "kpi_satisfaction"):
        complete = bool(row["is_previous_complete"])
        previous = row[f"previous_{key}"] if complete else None
        change = row[f"{key}_change"] if complete else None
        cards.append(
            {
                "key": key,
                "value": fmt_pct(row[key]),
                "previous": fmt_pct(previous),
                "change": DASH if change is None else f"{change:+.1f}",
                "z": DASH,
                "flag": rate_flag(row[f"{key}_flag"], msg),
            }
        )
    return cards


def context(frames: Frames, page: Page) -> dict:
    """The page scope's KPI cards, and whether the day's cases arrived whole."""
    return {
        "cards": kpi_cards(kpi_row(frames, *mart_scope(page.scope)), page.msg),
        "cases_ok": page.quality.feed_ok("cases"),
    }
