"""Turn mart rows into what the templates show: KPI cards, CompStat rows with Poisson flags,
ranked tables. Plain functions of Polars frames and labels; no I/O, no HTML.

Numbers are formatted here, labels come from the message catalogue; Jinja escapes every string
when the template prints it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from reports.messages import Messages

WINDOWS = ("1d", "7d", "28d", "ytd")
KINDS = ("criminal", "public_order", "dispute", "other")
# A percent change is shown only when its base has at least this many cases: below it, one or
# two cases swing the percentage wildly (3 -> 5 is +67% but z = 1.0), so the page shows the
# counts, the Poisson z and its flag instead.
MIN_BASE_FOR_PERCENT = 20
DASH = "—"


@dataclass(frozen=True)
class Flag:
    """A change's verdict: symbol, CSS class and a tooltip."""

    symbol: str
    css: str
    title: str


def fmt_int(value) -> str:
    """A count, or a dash for a missing one."""
    return DASH if value is None else f"{int(value):,}"


def fmt_num(value, digits: int = 1) -> str:
    """A decimal number, or a dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return f"{value:,.{digits}f}"


def fmt_pct(share, digits: int = 1) -> str:
    """A share (0.25) as a percentage (25.0%), or a dash."""
    if share is None or (isinstance(share, float) and not math.isfinite(share)):
        return DASH
    return f"{100 * share:.{digits}f}%"


def fmt_z(z) -> str:
    """A z score with its sign."""
    return DASH if z is None or not math.isfinite(z) else f"{z:+.1f}"


# the marts' verdict codes (macros/statistics.sql count_change_flag, mart_kpis) as shown
COUNT_FLAGS = {
    "up": ("▲", "flag up"),
    "down": ("▼", "flag down"),
    "flat": ("·", "flag flat"),
    "incomplete": ("?", "flag na"),
}
RATE_FLAGS = {
    "better": ("↑", "flag better"),
    "worse": ("↓", "flag worse"),
    "no_previous": ("?", "flag na"),
}


def count_flag(code: str | None, msg: Messages) -> Flag:
    """A count's verdict from its mart (fewer cases is better): ▲ significant rise, ▼
    significant fall, · ordinary noise, ? comparison period not wholly in the case history."""
    code = code or "incomplete"
    symbol, css = COUNT_FLAGS[code]
    return Flag(symbol, css, msg.t("flag", code))


def rate_flag(code: str | None, msg: Messages) -> Flag:
    """A rate's verdict from its mart (higher is better): the change's direction."""
    code = code or "no_previous"
    symbol, css = RATE_FLAGS[code]
    return Flag(symbol, css, msg.t("flag", code))


def comparison(current: int, base, z, pct, flag: str | None, complete: bool, msg) -> dict:
    """One CompStat comparison cell as the mart judged it: base count, z, flag and the
    percent change (shown for large bases only)."""
    if base is None:
        return {
            "base": DASH,
            "z": "",
            "flag": count_flag("incomplete", msg),
            "pct": None,
            "z_value": None,
            "complete": False,
        }
    return {
        "base": fmt_int(base),
        "z": fmt_z(z) if complete else "",
        "flag": count_flag(flag, msg),
        "pct": f"{pct:+.0f}%"
        if complete and pct is not None and base >= MIN_BASE_FOR_PERCENT
        else None,
        "z_value": z,
        "complete": complete,
    }


def _order(dimension: str, category: str, count_28d: int) -> tuple:
    """Total first, then the kinds in policy order, then categories by 28-day count."""
    if dimension == "total":
        return (0, 0, "")
    if dimension == "kind":
        return (1, KINDS.index(category) if category in KINDS else 9, category)
    return (2, -count_28d, category)


def compstat_rows(trends: pl.DataFrame, msg: Messages) -> list[dict]:
    """CompStat table rows of one scope's mart_trends rows: per total, kind and category, each
    window's count and its comparisons with the previous period (环比) and the same period last
    year (同比), with the mart's z, percent change and flag."""
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


def kpi_cards(row: dict | None, msg: Messages) -> list[dict]:
    """The policy's four KPIs (发案少、秩序好、社会稳定、群众满意) of one scope: its mart_kpis
    row (a station's own figures, or a bureau's or the region's pooled in SQL). Previous values
    are shown only while the previous window lies wholly inside the case history."""
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


def meets_flag(meets, msg: Messages) -> Flag:
    """✓ / ✗ / — for a norm."""
    if meets is None:
        return Flag(DASH, "flag na", msg.t("flag", "no_figure"))
    if meets:
        return Flag("✓", "flag better", msg.t("flag", "meets"))
    return Flag("✗", "flag worse", msg.t("flag", "fails"))


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


def segment_rows(segments: pl.DataFrame, rank_column: str, msg: Messages) -> list[dict]:
    """Top road segments: cases, per km, expected from the baseline, Poisson z and its flag."""
    if segments.height == 0:
        return []
    rows = segments.filter(pl.col(rank_column) <= 10).sort([rank_column, "road_segment_id"])
    return [
        {
            "rank": r[rank_column],
            "road": r["road_name"] or DASH,
            "segment": r["segment_name"] or DASH,
            "cases": fmt_int(r["cases"]),
            "per_km": fmt_num(r["cases_per_km"]),
            "expected": fmt_num(r["expected_cases"]),
            "z": fmt_z(r["poisson_z"]),
            "flag": count_flag(r["baseline_flag"], msg),
        }
        for r in rows.iter_rows(named=True)
    ]


def place_rows(places: pl.DataFrame, msg: Messages) -> list[dict]:
    """Top place types (部位): cases, share, expected, z and flag."""
    if places.height == 0:
        return []
    return [
        {
            "rank": r["rank_by_count"],
            "place": msg.label("place_type", r["place_type"]),
            "cases": fmt_int(r["cases"]),
            "share": fmt_pct(r["share"]),
            "expected": fmt_num(r["expected_cases"]),
            "z": fmt_z(r["poisson_z"]),
            "flag": count_flag(r["baseline_flag"], msg),
        }
        for r in places.sort(["rank_by_count", "place_type"]).iter_rows(named=True)
    ]


def period_label(weekday: int, start: int, end: int, msg: Messages) -> str:
    """'周二 18–21时' / 'Tue 18–21h'."""
    return msg.t("text", "period").format(
        weekday=msg.label("weekday", weekday), start=start, end=end
    )


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


def alert_rows(
    alerts: pl.DataFrame, communities: dict[str, str], msg: Messages, limit: int = 25
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
            "p": fmt_num(r["p_value"], 2),
        }
        for r in rows.head(limit).iter_rows(named=True)
    ]


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


def plan_rows(plan: pl.DataFrame, msg: Messages, limit: int = 20) -> list[dict]:
    """Tomorrow's patrol plan entries, in plan order."""
    if plan.height == 0:
        return []
    return [
        {
            "rank": r["plan_rank"],
            "when": period_label(r["weekday"], r["block_start_hour"], r["block_end_hour"], msg),
            "where": r["segment_name"] or r["road_name"] or r["community_name"] or DASH,
            "community": r["community_name"] or DASH,
            "minutes": fmt_int(r["recommended_minutes"]),
            "visits": fmt_int(r["recommended_visits"]),
            "reason": plan_reason(r, msg),
        }
        for r in plan.sort("plan_rank").head(limit).iter_rows(named=True)
    ]


def _rate(numerator, denominator):
    return None if not denominator else numerator / denominator


def alignment_items(alignment: pl.DataFrame, msg: Messages) -> list[dict]:
    """Patrol alignment of the stations in `alignment`, pooled (minutes and cells summed)."""
    if alignment.height == 0:
        return []
    total = alignment.select(
        pl.col(
            "hot_cells",
            "hot_cell_hours",
            "hot_cell_hours_dosed",
            "hot_cells_dosed",
            "unvisited_hot_cells",
            "patrol_minutes",
            "minutes_in_hot_cells",
            "minutes_outside_hot_cells",
            "visible_patrol_minutes",
        ).sum()
    ).row(0, named=True)
    own = (total["minutes_in_hot_cells"] or 0) + (total["minutes_outside_hot_cells"] or 0)
    values = {
        "hot_cells": fmt_int(total["hot_cells"]),
        "koper_share": fmt_pct(_rate(total["hot_cell_hours_dosed"], total["hot_cell_hours"])),
        "hot_cells_dosed": fmt_int(total["hot_cells_dosed"]),
        "unvisited_hot_cells": fmt_int(total["unvisited_hot_cells"]),
        "patrol_minutes": fmt_num(total["patrol_minutes"], 0),
        "hot_minutes_share": fmt_pct(_rate(total["minutes_in_hot_cells"], own)),
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


def forecast_rows(forecast: pl.DataFrame, msg: Messages) -> list[dict]:
    """Yesterday's hot cells scored against today's cases, Gi* against persistence."""
    if forecast.height == 0:
        return []
    rows = []
    for r in forecast.sort(["bureau_id", "method"]).iter_rows(named=True):
        available = bool(r["is_forecast_available"])
        rows.append(
            {
                "method": msg.label("forecast_method", r["method"]),
                "available": available,
                "forecast_date": r["forecast_date"].isoformat() if r["forecast_date"] else DASH,
                "cells": fmt_int(r["cells_selected"]),
                "area_share": fmt_pct(r["area_share"], 2),
                "captured": f"{fmt_int(r['cases_captured'])} / {fmt_int(r['cases_total'])}"
                if available
                else DASH,
                "hit_rate": fmt_pct(r["hit_rate"]),
                "pai": fmt_num(r["pai"]),
                "pei": fmt_pct(r["pei"]),
            }
        )
    return rows


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
