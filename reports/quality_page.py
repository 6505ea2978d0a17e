"""The day's data-quality page, <data home>/quality/<date>/index.html (a bureau's under
HOME/bureaus/<bureau_id>/): the banner and the data-quality section every briefing page shows,
then the row accounting of every feed and the result of each of its checks, in the reader's
language. GX's own Data Docs beside it (quality/data_docs/, offline through
expectations/data_docs.py) are the data engineers' detailed view of the same results.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from beatbrief.config import Settings
from reports.messages import Messages
from reports.methods import page_globals
from reports.paths import briefing_page, quality_page_path
from reports.quality import QualityView, link_quality
from reports.render import atomic_write, templates
from reports.sections import data_quality


def render_quality_page(
    as_of: date, msg: Messages, quality: QualityView, briefing_href: str, generated_at: datetime
) -> str:
    """The project's own offline data-quality page for the day."""
    return (
        templates()
        .get_template("quality.html.j2")
        .render(
            **page_globals(msg, generated_at),
            as_of=as_of.isoformat(),
            quality=quality,
            data_quality=data_quality.shown(quality),
            briefing_href=briefing_href,
        )
    )


def publish_quality_page(
    settings: Settings, as_of: date, msg: Messages, quality: QualityView, generated_at: datetime
) -> Path:
    """Write the day's data-quality page (its links set for its folder); return its path."""
    target = quality_page_path(settings, as_of)
    link_quality(quality, settings, as_of, target.parent)
    briefing = briefing_page(settings, as_of)
    html = render_quality_page(
        as_of, msg, quality, os.path.relpath(briefing, target.parent), generated_at
    )
    atomic_write(target, html)
    return target
