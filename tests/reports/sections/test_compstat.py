"""CompStat rows from mart_trends-shaped rows: the mart's counts, z, percent changes and
verdicts, in policy order, and the significant changes the headline lists."""

from __future__ import annotations

import polars as pl

from reports.messages import Messages
from reports.sections import compstat

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


def test_compstat_rows_put_the_total_first_then_kinds_then_categories_by_count():
    rows = [
        trend_row("theft", "category", current=3),
        trend_row("fraud", "category", current=9),
        trend_row("criminal", "kind", current=12),
        trend_row("dispute", "kind", current=4),
        trend_row("all", "total", current=16, previous=10),
        trend_row("all", "total", window="7d", current=4, previous=2),
    ]
    table = compstat.compstat_rows(pl.DataFrame(rows), MSG)
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
    table = compstat.compstat_rows(pl.DataFrame(rows), MSG)
    texts = compstat.changes(table, MSG)
    assert len(texts) == 1 and texts[0].startswith("全部警情近28日上升：60 起，上期 20 起")
