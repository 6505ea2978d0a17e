"""The day's data-quality view that every page shows: per feed, did it arrive whole, what was
quarantined and why. Read once per day (reports/sections/data_quality.py `read_quality`) and
shared by the banner at the top of every page, the headline's suspect mark, the data-quality
section and the data-quality page (reports/quality_page.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from beatbrief.config import Settings
from reports.paths import quality_page_path


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


def link_quality(view: QualityView, settings: Settings, as_of: date, page_folder: Path) -> None:
    """Set the view's links relative to the folder of the page that shows it."""
    view.page_href = os.path.relpath(quality_page_path(settings, as_of), page_folder)
    view.data_docs_href = os.path.relpath(
        settings.quality_dir / "data_docs" / "index.html", page_folder
    )
