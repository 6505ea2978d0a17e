"""Data quality: per feed, did it arrive whole, how many rows it brought against its usual
number, what was quarantined today and, over the hotspot window, by which rule.

Queries queries/data_quality.sql (one row per feed: feed_status, quarantine and load_manifest),
queries/data_quality__rules.sql (quarantined records per feed and rule, with an example of
the values that failed where the reader kept them, personal data masked) and
queries/data_quality__checks.sql (each GX check's result, shown on the data-quality page).
Unlike the other sections, these are read once per day into a `QualityView` (`read_quality`)
rather than per page from the frames, because every page of the day shares it: the banner on
top of each page, the headline's suspect mark, this section and the data-quality page
(reports/quality_page.py). Each rule is shown by its label and explanation in the page's
language (reports/rules.py), its GX name beside them. Partial
templates/sections/data_quality.html.j2.
"""

from __future__ import annotations

from datetime import date

import duckdb

from beatbrief.feeds import FEED_NAMES
from beatbrief.pii import mask_pii
from reports.data import Frames, fetch_rows
from reports.messages import Messages
from reports.quality import QualityView
from reports.rules import rule_words
from reports.scope import Page
from reports.views import DASH

QUERIES: tuple[str, ...] = ()  # read once per day by read_quality, not per page


def read_quality(
    con: duckdb.DuckDBPyConnection, as_of: date, msg: Messages, window_days: int = 28
) -> QualityView:
    """The day's feed statuses, row accounting and quarantine counts from the warehouse."""
    values = {"as_of_date": as_of, "window_days": window_days}
    found = {row["feed"]: row for row in fetch_rows(con, "data_quality", values)}
    results: dict[str, list[dict]] = {}
    for r in fetch_rows(con, "data_quality__checks", values):
        results.setdefault(r["feed"], []).append(
            {
                **rule_words(r["feed"], r["rule"], msg, r["notes"]),
                "check": msg.label("check", r["check_name"]),
                "severity": msg.label("severity", r["severity"]),
                "success": r["success"],
                "unexpected_count": r["unexpected_count"],
                "element_count": DASH if r["element_count"] is None else r["element_count"],
            }
        )
    feeds = []
    for feed in FEED_NAMES:
        row = found.get(feed, {})
        checked = row.get("status") is not None
        expected = row.get("trailing_median_rows")
        days_old = row.get("days_since_latest_partition")
        feeds.append(
            {
                "feed": feed,
                "label": msg.label("feed", feed),
                "status": row["status"] if checked else "not_checked",
                "problems": row["problems"] if checked else None,
                "rows_today": row["rows_today"] if checked else DASH,
                "rows_expected": DASH if expected is None else round(expected, 1),
                "latest_partition": row.get("latest_partition") or DASH,
                "days_old": DASH if days_old is None else days_old,
                "quarantined_today": row.get("quarantined_today") or 0,
                "files": row.get("files") or 0,
                "rows_read": row.get("rows_read") or 0,
                "rows_accepted": row.get("rows_accepted") or 0,
                "rows_quarantined": row.get("rows_quarantined") or 0,
                "rows_duplicate": row.get("rows_duplicate") or 0,
                "impact": msg.label("feed_impact", feed),
                "results": results.get(feed, []),
            }
        )
    rules = [
        {
            **rule_words(r["feed"], r["rule"], msg),
            "feed_label": msg.label("feed", r["feed"]),
            "rows": r["quarantined_rows"],
            "example": mask_pii(r["example"]) if r["example"] else "",
        }
        for r in fetch_rows(con, "data_quality__rules", values)
    ]
    return QualityView(feeds=feeds, rules=rules, failed=[f for f in feeds if f["status"] != "ok"])


def shown(quality: QualityView) -> dict:
    """What the partial shows of the day's view (with its links set for the page's folder)."""
    return {
        "feeds": quality.feeds,
        "rules": quality.rules,
        "page_href": quality.page_href,
        "data_docs_href": quality.data_docs_href,
    }


def context(frames: Frames, page: Page) -> dict:
    """The day's data-quality table and quarantine rules."""
    return shown(page.quality)
