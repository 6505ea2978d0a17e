"""The commander view: monthly lines against last year, rolling counts with Poisson control
bands, graceful degradation on a short history, and which Sunday a Monday run reports on."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from reports import trends
from reports.messages import Messages
from tests.reports.county import END, copy_county

MSG = Messages("zh-CN")


def daily(first: date, last: date, per_day: int = 1) -> pl.DataFrame:
    days = pl.date_range(first, last, eager=True)
    return pl.DataFrame(
        {
            "dimension": "total",
            "category": "all",
            "reported_date": days,
            "cases": [per_day] * len(days),
        }
    )


def test_monthly_rows_cut_the_last_month_and_blank_months_before_the_history():
    first, as_of = date(2025, 12, 10), date(2026, 11, 20)
    rows = trends.monthly_rows(daily(first, as_of), first, as_of)
    assert [r["month"] for r in rows][:2] == ["2025-11", "2025-12"] and rows[-1][
        "month"
    ] == "2026-11"
    assert rows[0]["current"] is None and rows[1]["current"] is None  # Dec 2025 starts earlier
    assert rows[2]["current"] == 31  # January, whole
    assert rows[-1]["current"] == 20  # November up to the 20th
    assert all(r["last_year"] is None for r in rows)  # last year is before the history


def test_rolling_counts_and_poisson_bands():
    first, as_of = date(2025, 1, 1), date(2026, 6, 30)
    rows = trends.rolling_rows(daily(first, as_of, per_day=2), first, as_of)
    assert rows["reported_date"][0] == first + timedelta(days=27)
    assert set(rows["rolling"].to_list()) == {56}
    banded = rows.filter(pl.col("mean").is_not_null())
    # a band needs half a year of baseline ending 28 days before the day
    assert banded["reported_date"][0] == first + timedelta(days=27 + trends.MIN_BASELINE_DAYS)
    assert banded["mean"][0] == pytest.approx(56)
    assert banded["upper"][0] == pytest.approx(56 + 2 * math.sqrt(56))
    assert banded["lower"][0] == pytest.approx(56 - 2 * math.sqrt(56))


def test_a_short_history_is_said_and_a_long_one_is_not():
    assert "2026-01-01" in trends.history_note(date(2026, 1, 1), date(2026, 11, 27), MSG)
    assert trends.history_note(date(2023, 1, 1), date(2026, 11, 27), MSG) is None
    assert trends.history_note(None, date(2026, 11, 27), MSG)


def test_the_monday_run_reports_on_the_latest_briefed_day(tmp_path):
    settings = type(copy_county(tmp_path))(home=tmp_path / "empty")
    monday = date(2026, 11, 30)
    assert trends.weekly_as_of(settings, monday) == date(2026, 11, 29)  # nothing briefed yet
    for day in ("2026-11-27", "2026-11-28", "2026-12-01"):
        (settings.briefing_dir(date.fromisoformat(day))).mkdir(parents=True)
        (settings.briefing_dir(date.fromisoformat(day)) / "index.html").write_text("x")
    assert trends.weekly_as_of(settings, monday) == date(2026, 11, 28)  # Sunday is late


def test_the_commander_view_on_the_county(tmp_path):
    from reports.publish import publish_briefing

    settings = copy_county(tmp_path)
    publish_briefing(settings, END)
    page = trends.publish_trends(settings, END)
    assert page == settings.home / "trends" / END.isoformat() / "index.html"
    html = page.read_text(encoding="utf-8")
    for marker in (
        'id="fig-trend-13m"',
        'id="fig-trend-3y"',
        'id="league"',
        'id="emerging"',
        'id="history-note"',
        'id="drilldown"',
    ):
        assert marker in html, marker
    # drill-down: every station of the league links to its briefing of the day
    assert html.count(f'href="../../briefings/{END.isoformat()}/') >= 12
    site = (settings.home / "index.html").read_text(encoding="utf-8")
    assert f'href="trends/{END.isoformat()}/index.html"' in site
