"""CompStat rows, flags and KPI cards from mart-shaped rows: the pages show the marts'
counts, z, percent changes and verdicts (percentages only on large bases) and compute none."""

from __future__ import annotations

import polars as pl
import pytest

from reports import views
from reports.messages import Messages

MSG = Messages("zh-CN")


def trend_row(
    category="all",
    dimension="total",
    window="28d",
    current=0,
    previous=0,
    last_year=0,
    complete=True,
    flag="flat",
    last_year_flag=None,
) -> dict:
    return {
        "scope": "station",
        "scope_id": "S1",
        "dimension": dimension,
        "category": category,
        "time_window": window,
        "current_count": current,
        "previous_count": previous,
        "last_year_count": last_year,
        "pct_vs_previous": 100.0 * (current - previous) / previous if previous else None,
        "pct_vs_last_year": 100.0 * (current - last_year) / last_year if last_year else None,
        "poisson_z": 2 * (current**0.5 - previous**0.5),
        "poisson_z_vs_last_year": 2 * (current**0.5 - last_year**0.5),
        "previous_flag": flag if complete else "incomplete",
        "last_year_flag": (last_year_flag or flag) if complete else "incomplete",
        "is_previous_complete": complete,
        "is_last_year_complete": complete,
    }


@pytest.mark.parametrize(
    ("flag", "symbol", "css"),
    [("up", "▲", "flag up"), ("down", "▼", "flag down"), ("flat", "·", "flag flat")]
    + [("incomplete", "?", "flag na")],
)
def test_a_cell_shows_the_marts_verdict(flag, symbol, css):
    cell = views.comparison(30, 10, 2.31, 200.0, flag, True, MSG)
    assert (cell["flag"].symbol, cell["flag"].css) == (symbol, css)
    assert cell["z"] == "+2.3" and cell["base"] == "10"


def test_percentages_only_on_large_bases_and_incomplete_periods_are_marked():
    assert views.comparison(5, 3, 1.0, 66.7, "flat", True, MSG)["pct"] is None
    assert views.comparison(25, 20, 0.5, 25.0, "flat", True, MSG)["pct"] == "+25%"
    incomplete = views.comparison(900, 100, 40.0, 800.0, "incomplete", False, MSG)
    assert incomplete["flag"].symbol == "?" and incomplete["z"] == "" and incomplete["pct"] is None


def test_compstat_rows_put_the_total_first_then_kinds_then_categories_by_count():
    rows = [
        trend_row("theft", "category", current=3),
        trend_row("fraud", "category", current=9),
        trend_row("criminal", "kind", current=12),
        trend_row("dispute", "kind", current=4),
        trend_row("all", "total", current=16, previous=10),
        trend_row("all", "total", window="7d", current=4, previous=2),
    ]
    table = views.compstat_rows(pl.DataFrame(rows), MSG)
    assert [r["label"] for r in table] == ["全部警情", "刑事", "纠纷", "诈骗", "盗窃"]
    total = table[0]
    assert [w is None for w in total["windows"]] == [True, False, False, True]
    assert total["windows"][2]["current"] == "16" and total["windows"][2]["prev"]["base"] == "10"


def test_changes_list_only_significant_7_and_28_day_changes():
    rows = [
        trend_row(
            "all",
            "total",
            window="28d",
            current=60,
            previous=20,
            last_year=55,
            flag="up",
            last_year_flag="flat",
        ),
        trend_row("all", "total", window="1d", current=9, previous=0),  # a day: not listed
        trend_row("theft", "category", window="7d", current=3, previous=2),  # noise
    ]
    table = views.compstat_rows(pl.DataFrame(rows), MSG)
    texts = views.changes(table, MSG)
    assert len(texts) == 1 and texts[0].startswith("全部警情近28日上升：60 起，上期 20 起")


def kpi_row(**fields) -> dict:
    """A mart_kpis row."""
    row = {
        "is_previous_complete": True,
        "kpi_few_cases": 10,
        "previous_kpi_few_cases": 5,
        "kpi_few_cases_change": 5,
        "kpi_few_cases_z": 1.85,
        "kpi_few_cases_flag": "flat",
        "kpi_good_order": 4,
        "previous_kpi_good_order": 4,
        "kpi_good_order_change": 0,
        "kpi_good_order_z": 0.0,
        "kpi_good_order_flag": "flat",
        "kpi_stability": 0.8,
        "previous_kpi_stability": 0.9,
        "kpi_stability_change": -10.0,
        "kpi_stability_flag": "worse",
        "kpi_satisfaction": 0.95,
        "previous_kpi_satisfaction": 0.9,
        "kpi_satisfaction_change": 5.0,
        "kpi_satisfaction_flag": "better",
    }
    row.update(fields)
    return row


def test_kpi_cards_show_a_scopes_mart_row():
    cards = views.kpi_cards(kpi_row(), MSG)
    assert [c["key"] for c in cards] == [
        "kpi_few_cases",
        "kpi_good_order",
        "kpi_stability",
        "kpi_satisfaction",
    ]
    assert (cards[0]["value"], cards[0]["previous"], cards[0]["change"]) == ("10", "5", "+5")
    assert cards[0]["z"] == "+1.9" and cards[0]["flag"].symbol == "·"
    assert (cards[2]["value"], cards[2]["previous"], cards[2]["change"]) == (
        "80.0%",
        "90.0%",
        "-10.0",
    )
    assert cards[2]["flag"].symbol == "↓" and cards[3]["flag"].symbol == "↑"
    assert views.kpi_cards(None, MSG) == []


def test_norms_and_unknown_values():
    row = {
        "officer_count": 8,
        "officer_norm": 10,
        "meets_officer_norm": False,
        "bureau_force_share": 0.45,
        "force_share_norm": 0.4,
        "meets_force_share_norm": True,
        "residents_per_community_officer": None,
        "meets_residents_norm": None,
        "office_coverage_pct": 100.0,
        "meets_office_coverage_norm": True,
        "must_build_lacking_office": 0,
        "meets_must_build_norm": True,
    }
    norms, _ = views.scorecard_rows(row, MSG)
    assert [(n["value"], n["norm"], n["flag"].symbol) for n in norms] == [
        ("8", "10", "✗"),
        ("45.0%", "40.0%", "✓"),
        ("—", "城区约5000人/农村按设置", "—"),
        ("100.0%", "100%", "✓"),
        ("0", "0", "✓"),
    ]
    met = views.norms_met(row, MSG)
    assert met["text"] == "3/4" and met["failed"] == "派出所民警数"


def test_plan_reason_is_built_in_the_pages_language():
    row = {
        "reason_codes": "hot_class_3;top_period_1;near_repeat_alert",
        "hot_class": 3,
        "gi_z": 4.2,
        "cases": 3,
        "period_rank": 1,
        "period_share": 0.12,
        "alert_categories": "burglary,theft",
        "alert_valid_until": None,
    }
    assert views.plan_reason(row, MSG) == (
        "热点 99%（z = 4.2，近期 3 起）；高发时段第 1 位（占 12.0%）；"
        "近重复入室盗窃、盗窃预警（有效至 —）"
    )
    assert views.plan_reason(row, Messages("en")).startswith("Hot 99% (z = 4.2, 3 recent cases); ")


def test_kpi_cards_say_when_the_previous_window_is_older_than_the_history():
    row = kpi_row(
        is_previous_complete=False,
        kpi_few_cases_flag="incomplete",
        kpi_good_order_flag="incomplete",
        kpi_stability_flag="no_previous",
        kpi_satisfaction_flag="no_previous",
    )
    cards = views.kpi_cards(row, MSG)
    assert [c["flag"].symbol for c in cards] == ["?", "?", "?", "?"]
    assert cards[0]["previous"] == "—" and cards[0]["z"] == "—" and cards[2]["previous"] == "—"
    assert cards[2]["change"] == "—"
