"""Which day a Monday weekly run reports on: the Sunday before, or the latest briefed day."""

from __future__ import annotations

from datetime import date

from beatbrief.config import Settings
from reports import schedule, trends


def test_the_monday_run_reports_on_the_latest_briefed_day(tmp_path):
    settings = Settings(home=tmp_path / "empty")
    monday = date(2026, 11, 30)
    assert schedule.weekly_as_of(settings, monday) == date(2026, 11, 29)  # nothing briefed yet
    for day in ("2026-11-27", "2026-11-28", "2026-12-01"):
        (settings.briefing_dir(date.fromisoformat(day))).mkdir(parents=True)
        (settings.briefing_dir(date.fromisoformat(day)) / "index.html").write_text("x")
    assert schedule.weekly_as_of(settings, monday) == date(2026, 11, 28)  # Sunday is late


def test_the_dag_finds_the_rule_where_it_always_did():
    assert trends.weekly_as_of is schedule.weekly_as_of  # dags/beatbrief_weekly.py imports it
