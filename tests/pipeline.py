"""Test helper: run the daily steps in process, without Airflow (the DAG itself is tested in
tests/test_end_to_end.py and tests/test_reruns.py through Airflow)."""

from __future__ import annotations

from datetime import date

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from expectations.validate import FeedValidationError, validate_feed
from transforms.ingest import ingest_feed
from transforms.runner import build_models


def load_feeds(settings: Settings, as_of: date) -> dict[str, str]:
    """Ingest and validate every feed as the DAG does; return the feeds that failed."""
    failures = {}
    for feed in FEED_NAMES:
        ingest_feed(settings, feed, as_of)
        try:
            validate_feed(settings, feed, as_of)
        except FeedValidationError as error:
            failures[feed] = str(error)
    return failures


def run_day(settings: Settings, as_of: date) -> dict[str, str]:
    """Load, validate and build the marts for a day; return the feeds that failed."""
    failures = load_feeds(settings, as_of)
    build_models(settings, as_of)
    return failures


def county_bureau(settings: Settings) -> Settings:
    """The one bureau of a simulated county that the daily DAG ran (a province of one bureau:
    its warehouse, quality pages and briefing are the bureau's)."""
    from transforms.route import known_bureaus

    (bureau,) = known_bureaus(settings)
    return settings.for_bureau(bureau)


def run_province_day(settings: Settings, as_of: date) -> dict[str, dict[str, str]]:
    """Route every feed, then load, validate and build each bureau's day as the DAG does;
    return the failed feeds by bureau (the bureaus with none left out)."""
    from transforms.route import known_bureaus, route_feed

    for feed in FEED_NAMES:
        route_feed(settings, feed, as_of)
    failures = {b: run_day(settings.for_bureau(b), as_of) for b in known_bureaus(settings)}
    return {b: f for b, f in failures.items() if f}
