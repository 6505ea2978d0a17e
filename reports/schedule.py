"""Which day the weekly commander view reports on (dags/beatbrief_weekly.py asks through
reports.trends): the Sunday before its Monday run, or the latest briefed day before it."""

from __future__ import annotations

from datetime import date, timedelta

from beatbrief.config import Settings
from reports.paths import INDEX_PAGE


def latest_briefed_day(settings: Settings, on_or_before: date) -> date:
    """The newest day on or before `on_or_before` with a published daily briefing (the weekly
    view waits for nothing: if the daily run is late, it shows the latest briefed day); the day
    itself when none exists yet."""
    root = settings.home / "briefings"
    days = []
    if root.is_dir():
        for folder in root.iterdir():
            try:
                day = date.fromisoformat(folder.name)
            except ValueError:
                continue
            if day <= on_or_before and (folder / INDEX_PAGE).is_file():
                days.append(day)
    return max(days, default=on_or_before)


def weekly_as_of(settings: Settings, run_day: date) -> date:
    """The day a Monday-morning weekly run reports on: the Sunday before, or the latest briefed
    day before it."""
    return latest_briefed_day(settings, run_day - timedelta(days=1))
