"""The data-quality view shared by every page: per feed, did it arrive whole, what was
quarantined and why; plus the project's own offline data-quality page, HOME/quality/<date>/.

GX's Data Docs (HOME/quality/data_docs/) pull their CSS and JS from CDNs and render unstyled
offline, so this page renders the same validation results with the project's own templates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from reports.messages import Messages

DASH = "—"


@dataclass
class QualityView:
    """What the banner, the quality section and the quality page show."""

    feeds: list[dict]
    rules: list[dict]
    page_href: str = ""
    data_docs_href: str = ""
    failed: list[dict] = field(default_factory=list)

    def feed_ok(self, feed: str) -> bool:
        """Whether a feed arrived whole and passed its batch-level checks for the day."""
        return any(f["feed"] == feed and f["status"] == "ok" for f in self.feeds)


def quality_page_path(settings: Settings, as_of: date) -> Path:
    """HOME/quality/<date>/index.html."""
    return settings.quality_dir / as_of.isoformat() / "index.html"


def read_quality(con, as_of: date, msg: Messages, trailing_days: int = 28) -> QualityView:
    """The day's feed statuses, row accounting and quarantine counts from the warehouse."""
    status = {
        row[0]: row
        for row in con.execute(
            "select feed, status, problems, rows_today, trailing_median_rows, latest_partition, "
            "days_since_latest_partition from feed_status where as_of_date = ?",
            [as_of],
        ).fetchall()
    }
    accounting = {
        row[0]: row
        for row in con.execute(
            "select feed, count(*), sum(rows_read), sum(rows_accepted), sum(rows_quarantined), "
            "sum(rows_duplicate) from load_manifest where partition_date <= ? group by feed",
            [as_of],
        ).fetchall()
    }
    quarantined_today = dict(
        con.execute(
            "select feed, count(*) from quarantine where partition_date = ? group by feed",
            [as_of],
        ).fetchall()
    )
    results: dict[str, list[dict]] = {}
    for feed, check, rule, severity, success, unexpected, elements, notes in con.execute(
        "select feed, check_name, rule, severity, success, unexpected_count, element_count, notes "
        "from validation_results where as_of_date = ? order by feed, check_name desc, rule",
        [as_of],
    ).fetchall():
        results.setdefault(feed, []).append(
            {
                "check": msg.label("check", check),
                "rule": rule,
                "severity": msg.label("severity", severity),
                "success": success,
                "unexpected_count": unexpected,
                "element_count": DASH if elements is None else elements,
                "notes": notes or "",
            }
        )
    feeds = []
    for feed in FEED_NAMES:
        st = status.get(feed)
        acc = accounting.get(feed, (feed, 0, 0, 0, 0, 0))
        feeds.append(
            {
                "feed": feed,
                "label": msg.label("feed", feed),
                "status": st[1] if st else "not_checked",
                "problems": st[2] if st else None,
                "rows_today": st[3] if st else DASH,
                "rows_expected": DASH if not st or st[4] is None else round(st[4], 1),
                "latest_partition": st[5] if st and st[5] else DASH,
                "days_old": DASH if not st or st[6] is None else st[6],
                "quarantined_today": quarantined_today.get(feed, 0),
                "files": acc[1],
                "rows_read": acc[2] or 0,
                "rows_accepted": acc[3] or 0,
                "rows_quarantined": acc[4] or 0,
                "rows_duplicate": acc[5] or 0,
                "impact": msg.label("feed_impact", feed),
                "results": results.get(feed, []),
            }
        )
    rules = [
        {"label": msg.label("feed", feed), "rule": rule, "rows": rows}
        for feed, rule, rows in con.execute(
            "select feed, rule, count(*) as n from quarantine "
            "where partition_date between ? and ? group by feed, rule order by n desc, feed, rule",
            [as_of - timedelta(days=trailing_days - 1), as_of],
        ).fetchall()
    ]
    return QualityView(feeds=feeds, rules=rules, failed=[f for f in feeds if f["status"] != "ok"])


def link_quality(view: QualityView, settings: Settings, as_of: date, page_folder: Path) -> None:
    """Set the view's links relative to the folder of the page that shows it."""
    view.page_href = os.path.relpath(quality_page_path(settings, as_of), page_folder)
    view.data_docs_href = os.path.relpath(
        settings.quality_dir / "data_docs" / "index.html", page_folder
    )
