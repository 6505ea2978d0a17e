"""The index site, HOME/index.html: every day's briefing and every commander view, newest first.

Rebuilt from what is on disk by each publish (daily and weekly), so it always lists exactly the
pages that exist, including days published before this code existed.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path

from beatbrief.config import Settings
from reports.messages import Messages
from reports.methods import page_globals
from reports.paths import BUREAU_PREFIX, INDEX_PAGE, RESERVED_NAMES, quality_page_path, site_index
from reports.render import atomic_write, templates

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dated_folders(root: Path) -> dict[date, Path]:
    """Sub-folders named YYYY-MM-DD that hold an index.html."""
    if not root.is_dir():
        return {}
    found = {}
    for folder in root.iterdir():
        if _DATE.fullmatch(folder.name) and (folder / INDEX_PAGE).is_file():
            try:
                found[date.fromisoformat(folder.name)] = folder
            except ValueError:
                continue
    return found


def site_rows(settings: Settings, msg: Messages) -> list[dict]:
    """One row per date with a briefing or a commander view, newest first."""
    home = settings.home
    briefings = _dated_folders(home / "briefings")
    trends = _dated_folders(home / "trends")
    rows = []
    for day in sorted(set(briefings) | set(trends), reverse=True):
        folder = briefings.get(day)
        stations = bureaus = 0
        if folder:
            for page in folder.glob("*.html"):
                if page.name in RESERVED_NAMES:
                    continue
                if page.name.startswith(BUREAU_PREFIX):
                    bureaus += 1
                else:
                    stations += 1
        quality = quality_page_path(settings, day)
        rows.append(
            {
                "date": day.isoformat(),
                "weekday": msg.label("weekday", day.isoweekday()),
                "briefing": os.path.relpath(folder / INDEX_PAGE, home) if folder else None,
                "stations": stations,
                "bureaus": bureaus,
                "quality": os.path.relpath(quality, home) if quality.is_file() else None,
                "trends": os.path.relpath(trends[day] / INDEX_PAGE, home)
                if day in trends
                else None,
            }
        )
    return rows


def publish_site_index(settings: Settings) -> Path:
    """Rewrite HOME/index.html from the pages on disk."""

    msg = Messages(settings.language)
    generated_at = datetime.now().replace(microsecond=0)
    rows = site_rows(settings, msg)
    html = (
        templates()
        .get_template("site.html.j2")
        .render(
            **page_globals(msg, generated_at),
            rows=rows,
            latest=rows[0] if rows else None,
            latest_trends=next((r for r in rows if r["trends"]), None),
        )
    )
    target = site_index(settings)
    atomic_write(target, html)
    return target
