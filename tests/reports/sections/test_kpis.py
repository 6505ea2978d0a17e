"""KPI cards from mart_kpis rows: values, previous windows, changes, z and flags as the mart
gives them, and dashes where the previous window is older than the history."""

from __future__ import annotations

from reports.messages import Messages
from reports.sections import kpis

MSG = Messages("zh-CN")


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
    cards = kpis.kpi_cards(kpi_row(), MSG)
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
    assert kpis.kpi_cards(None, MSG) == []


def test_kpi_cards_say_when_the_previous_window_is_older_than_the_history():
    row = kpi_row(
        is_previous_complete=False,
        kpi_few_cases_flag="incomplete",
        kpi_good_order_flag="incomplete",
        kpi_stability_flag="no_previous",
        kpi_satisfaction_flag="no_previous",
    )
    cards = kpis.kpi_cards(row, MSG)
    assert [c["flag"].symbol for c in cards] == ["?", "?", "?", "?"]
    assert cards[0]["previous"] == "—" and cards[0]["z"] == "—" and cards[2]["previous"] == "—"
    assert cards[2]["change"] == "—"
