"""Scorecard: a station against the policy's norms (民警数、警力占比、警务室覆盖 ...) and its
other indicators; on a bureau's or the region's page, the league tables of its stations (and
of its bureaus, when several) with each one's cases today, four KPIs and norms met.

Query queries/scorecard.sql (mart_station_scorecard); partial
templates/sections/scorecard.html.j2. The leagues' other columns come from the KPI and
categories sections' queries (queries/kpis.sql, queries/categories.sql), read once for all.
A roll-up shows its league after the categories and a station its scorecard near the end, so
the section stands at a different place in the two page lists (reports/publish.py).
"""

from __future__ import annotations

import polars as pl

from reports.data import Frames
from reports.messages import Messages
from reports.paths import bureau_page, station_page
from reports.scope import Page, Scope, concat, names
from reports.sections.kpis import kpi_cards, kpi_row
from reports.views import DASH, fmt_int, fmt_num, fmt_pct, meets_flag

QUERIES = ("scorecard", "kpis", "categories", "stations")
NORMS = (
    # (label key, value column, how to format it, norm column or fixed text, meets column)
    ("officers", "officer_count", "int", "officer_norm", "meets_officer_norm"),
    ("force_share", "bureau_force_share", "pct", "force_share_norm", "meets_force_share_norm"),
    (
        "residents_per_officer",
        "residents_per_community_officer",
        "num0",
        None,
        "meets_residents_norm",
    ),
    ("office_coverage", "office_coverage_pct", "pct100", "100%", "meets_office_coverage_norm"),
    ("must_build", "must_build_lacking_office", "int", "0", "meets_must_build_norm"),
)
INDICATORS = (
    ("zero_incident", "zero_incident_communities", "int"),
    ("longest_zero_incident", "longest_zero_incident_days", "int"),
    ("five_type_share", "five_type_share", "pct"),
    ("clearance_rate", "clearance_rate", "pct"),
    ("dispute_resolution", "dispute_resolution_rate", "pct"),
    ("repeat_disputes", "repeat_dispute_communities", "int"),
    ("satisfaction", "satisfaction_rate", "pct"),
)
_FORMATS = {
    "int": fmt_int,
    "pct": fmt_pct,
    "num0": lambda v: fmt_num(v, 0),
    "pct100": lambda v: DASH if v is None else f"{v:.1f}%",
}


def scorecard_rows(row: dict, msg: Messages) -> tuple[list[dict], list[dict]]:
    """A station against the policy's norms, and its other indicators."""
    norms = []
    for key, column, kind, norm, meets in NORMS:
        if norm is None:
            norm_text = msg.t("scorecard", "residents_norm_text")
        elif norm in row:
            norm_text = _FORMATS[kind](row[norm])
        else:
            norm_text = norm
        norms.append(
            {
                "key": key,
                "label": msg.t("scorecard", key),
                "value": _FORMATS[kind](row.get(column)),
                "norm": norm_text,
                "flag": meets_flag(row.get(meets), msg),
            }
        )
    indicators = [
        {"key": key, "label": msg.t("scorecard", key), "value": _FORMATS[kind](row.get(column))}
        for key, column, kind in INDICATORS
    ]
    return norms, indicators


def norms_met(row: dict, msg: Messages) -> dict:
    """How many of the norms a station meets, and which it fails (for league tables)."""
    verdicts = [(key, row.get(meets)) for key, _, _, _, meets in NORMS]
    known = [v for _, v in verdicts if v is not None]
    failed = [msg.t("scorecard", key) for key, v in verdicts if v is False]
    return {
        "text": f"{sum(known)}/{len(known)}" if known else DASH,
        "failed": "、".join(failed) if msg.language == "zh-CN" else ", ".join(failed),
        "all_met": bool(known) and all(known),
    }


def league_rows(frames: Frames, scope: Scope, msg: Messages) -> tuple[list[dict], list[dict]]:
    """League tables of a bureau or region page: its stations, and its bureaus when several."""
    today = frames["categories"]
    if frames["scorecard"].height == 0:
        return [], []
    station_names = names(frames["stations"], "station_id", "station_name")

    def today_of(scope_kind: str, ids: list[str]) -> str:
        rows = concat([frames.scoped("categories", scope_kind, i) for i in ids])
        if rows.height == 0 or today.height == 0:
            return fmt_int(0)
        return fmt_int(rows.filter(pl.col("category") == "all")["day_count"].sum())

    stations = []
    for station_id in scope.station_ids:
        card = frames.part("scorecard", "station_id", station_id)
        if card.height == 0:
            continue
        stations.append(
            {
                "name": station_names.get(station_id, station_id),
                "href": station_page(station_id),
                "today": today_of("station", [station_id]),
                "kpis": kpi_cards(kpi_row(frames, "station", station_id), msg),
                "norms": norms_met(card.row(0, named=True), msg),
            }
        )
    bureaus = []
    if scope.kind == "region" and len(scope.bureau_ids) > 1:
        bureau_names = names(frames["stations"], "bureau_id", "bureau_name")
        for bureau_id in scope.bureau_ids:
            row = kpi_row(frames, "bureau", bureau_id)
            if row is None:
                continue
            bureaus.append(
                {
                    "name": bureau_names.get(bureau_id, bureau_id),
                    "href": bureau_page(bureau_id),
                    "today": today_of("bureau", [bureau_id]),
                    "kpis": kpi_cards(row, msg),
                    "norms": {
                        "text": f"{row['stations_meeting_norms']}/{row['stations']}",
                        "failed": "",
                        "all_met": row["stations_meeting_norms"] == row["stations"],
                    },
                }
            )
    return stations, bureaus


def context(frames: Frames, page: Page) -> dict:
    """A station's norms and indicators, or a roll-up's league tables."""
    scope, msg = page.scope, page.msg
    shown = {"norm_rows": [], "indicator_rows": [], "station_league": [], "bureau_league": []}
    if scope.kind != "station":
        shown["station_league"], shown["bureau_league"] = league_rows(frames, scope, msg)
        return shown
    card = frames.part("scorecard", "station_id", scope.station_ids[0])
    if card.height:
        shown["norm_rows"], shown["indicator_rows"] = scorecard_rows(card.row(0, named=True), msg)
    return shown
