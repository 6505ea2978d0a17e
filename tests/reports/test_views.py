"""CompStat rows, flags and KPI cards on small frames: counts, z and flags, percentages only
on large bases, exact tests for small counts."""

from __future__ import annotations

import math

import polars as pl
import pytest

from reports import views
from reports.messages import Messages

MSG = Messages("zh-CN")
THRESHOLD = 2.0


def trend_row(
    category="all",
    dimension="total",
    window="28d",
    current=0,
    previous=0,
    last_year=0,
    complete=True,
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
        "poisson_z": None,
        "poisson_z_vs_last_year": None,
        "is_previous_complete": complete,
        "is_last_year_complete": complete,
        "current_days": 28,
        "last_year_days": 28,
    }


@pytest.mark.parametrize(
    ("current", "base", "symbol"),
    [
        (0, 1, "·"),  # z = -2.0, but one case to none is noise
        (2, 0, "·"),  # z = +2.8, and still noise: p = 0.5
        (0, 8, "▼"),  # p = 0.008
        (30, 10, "▲"),
        (275, 237, "·"),  # z = +2.4 on the square roots, yet p = 0.10: two noisy counts
        (400, 300, "▲"),
    ],
)
def test_count_flags_need_z_and_the_exact_test(current, base, symbol):
    cell = views.comparison(current, base, True, THRESHOLD, MSG)
    assert cell["flag"].symbol == symbol
    assert cell["z"] == f"{2 * (math.sqrt(current) - math.sqrt(base)):+.1f}"


def test_exact_p_matches_the_binomial_test():
    # P(X <= 0 | n = 6, 1/2) = 1/64, two-sided 1/32
    assert views.exact_p(0, 6) == pytest.approx(1 / 32)
    assert views.exact_p(3, 3) == 1.0
    assert views.exact_p(0, 0) == 1.0
    # large n falls back to the normal approximation
    assert views.exact_p(1100, 900) == pytest.approx(math.erfc(100 / math.sqrt(1000)), rel=1e-9)


def test_percentages_only_on_large_bases_and_incomplete_periods_are_marked():
    assert views.comparison(5, 3, True, THRESHOLD, MSG)["pct"] is None
    assert views.comparison(25, 20, True, THRESHOLD, MSG)["pct"] == "+25%"
    incomplete = views.comparison(900, 100, False, THRESHOLD, MSG)
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
    table = views.compstat_rows(pl.DataFrame(rows), MSG, THRESHOLD)
    assert [r["label"] for r in table] == ["全部警情", "刑事", "纠纷", "诈骗", "盗窃"]
    total = table[0]
    assert [w is None for w in total["windows"]] == [True, False, False, True]
    assert total["windows"][2]["current"] == "16" and total["windows"][2]["prev"]["base"] == "10"


def test_summed_trends_recompute_from_counts():
    rows = [trend_row(current=10, previous=5), trend_row(current=20, previous=5)]
    for row, scope_id in zip(rows, ("B1", "B2"), strict=True):
        row["scope"], row["scope_id"] = "bureau", scope_id
    summed = views.sum_trends(pl.DataFrame(rows))
    assert summed.select("current_count", "previous_count").row(0) == (30, 10)
    table = views.compstat_rows(summed, MSG, THRESHOLD)
    assert table[0]["windows"][2]["prev"]["flag"].symbol == "▲"


def test_changes_list_only_significant_7_and_28_day_changes():
    rows = [
        trend_row("all", "total", window="28d", current=60, previous=20, last_year=55),
        trend_row("all", "total", window="1d", current=9, previous=0),  # a day: not listed
        trend_row("theft", "category", window="7d", current=3, previous=2),  # noise
    ]
    table = views.compstat_rows(pl.DataFrame(rows), MSG, THRESHOLD)
    texts = views.changes(table, MSG)
    assert len(texts) == 1 and texts[0].startswith("全部警情近28日上升：60 起，上期 20 起")


def scorecard_row(station_id="S1", **fields) -> dict:
    row = {
        "station_id": station_id,
        "bureau_id": "B1",
        "kpi_few_cases": 10,
        "previous_kpi_few_cases": 5,
        "kpi_good_order": 4,
        "previous_kpi_good_order": 4,
        "disputes": 10,
        "disputes_resolved": 8,
        "callbacks_reached": 20,
        "callbacks_satisfied": 19,
        "kpi_stability": 0.8,
        "previous_kpi_stability": 0.9,
        "kpi_stability_improved": False,
        "kpi_satisfaction": 0.95,
        "previous_kpi_satisfaction": 0.9,
        "kpi_satisfaction_improved": True,
    }
    row.update(fields)
    return row


def test_kpi_cards_of_one_station_and_pooled_over_stations():
    one = views.kpi_cards(pl.DataFrame([scorecard_row()]), MSG, THRESHOLD)
    assert [c["key"] for c in one] == [
        "kpi_few_cases",
        "kpi_good_order",
        "kpi_stability",
        "kpi_satisfaction",
    ]
    assert (one[0]["value"], one[0]["previous"], one[0]["change"]) == ("10", "5", "+5")
    assert one[2]["value"] == "80.0%" and one[2]["change"] == "-10.0"
    assert one[2]["flag"].symbol == "↓" and one[3]["flag"].symbol == "↑"
    pooled = views.kpi_cards(
        pl.DataFrame([scorecard_row(), scorecard_row("S2", disputes=30, disputes_resolved=12)]),
        MSG,
        THRESHOLD,
    )
    assert pooled[0]["value"] == "20" and pooled[0]["previous"] == "10"
    assert pooled[2]["value"] == "50.0%"  # (8 + 12) / (10 + 30), not the mean of the rates
    assert pooled[2]["previous"] == "—"  # the mart has no previous numerators to pool


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
    row = scorecard_row(previous_kpi_few_cases=1)
    cards = views.kpi_cards(pl.DataFrame([row]), MSG, THRESHOLD, previous_complete=False)
    assert [c["flag"].symbol for c in cards] == ["?", "?", "?", "?"]
    assert cards[0]["previous"] == "—" and cards[0]["z"] == "—" and cards[2]["previous"] == "—"
