"""Publish the daily briefing: read the marts once, build every page from its sections, write
atomically.

Output, all in HOME/briefings/<date>/ with one shared plotly.min.js and methods.html beside the
pages, so the folder opens from a file share or USB stick with no network:
- for one bureau of a province (the daily DAG's publish task), its page bureau-<bureau_id>.html
  and one page per station; the province task then writes index.html above them
  (reports/province.py);
- for a one-warehouse home (publish_briefing), index.html: the roll-up of every bureau of the
  day (with one bureau, that bureau's full briefing; with several, their sums, a league of
  bureaus and one page per bureau) and one page per station.
- <station_id>.html: one full briefing per station.
Then the day's data-quality page (<data home>/quality/<date>/) and, for publish_briefing, the
index site (HOME/index.html).

A page is a list of sections (STATION_PAGE, BUREAU_PAGE, REGION_PAGE); a section is a query, a
module and a template partial of one name (reports/sections/__init__.py).
"""

from __future__ import annotations

import logging
import os
import time
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import duckdb
from jinja2 import Environment

from beatbrief.config import Settings
from reports.data import TOP_N, Frames, read_frames
from reports.messages import Messages
from reports.methods import page_globals, write_methods
from reports.paths import INDEX_PAGE, inside
from reports.provenance import run_record_href
from reports.quality import link_quality
from reports.quality_page import publish_quality_page
from reports.render import atomic_write, ensure_plotly_js, templates
from reports.scope import Page, Scope, scopes_of_day
from reports.sections import (
    alerts,
    categories,
    compstat,
    data_quality,
    forecast,
    hotspot_map,
    kpis,
    patrol_alignment,
    patrol_plan,
    scorecard,
    segments_places,
    time_profile,
)
from reports.site import publish_site_index
from transforms import warehouse

log = logging.getLogger(__name__)
# the pages of a day, each the list of its sections in the order it shows them
STATION_PAGE = (
    kpis,
    compstat,
    categories,
    hotspot_map,
    segments_places,
    time_profile,
    alerts,
    patrol_alignment,
    patrol_plan,
    scorecard,  # the station against the norms
    forecast,
    data_quality,
)
BUREAU_PAGE = (  # a bureau's page, and the index of a day with one bureau
    kpis,
    compstat,
    categories,
    scorecard,  # the league of its stations
    hotspot_map,
    segments_places,
    time_profile,
    alerts,
    patrol_alignment,
    patrol_plan,
    forecast,
    data_quality,
)
REGION_PAGE = (  # the index of a day with several bureaus: their sums, leagues and links
    kpis,
    compstat,
    categories,
    scorecard,  # the leagues of its bureaus and stations
    data_quality,
)
PAGES = (STATION_PAGE, BUREAU_PAGE, REGION_PAGE)
# the definitions the methods appendix at the foot of every page links to
APPENDIX = (
    "compstat",
    "flags",
    "kpi_few_cases",
    "hotspots",
    "segments",
    "places",
    "time",
    "periods",
    "alerts",
    "patrol",
    "plan",
    "scorecard",
    "forecast",
)


def section_name(section: ModuleType) -> str:
    """A section's name: its module's, its query's and its partial's."""
    return section.__name__.rsplit(".", 1)[-1]


def page_sections(scope: Scope) -> tuple[ModuleType, ...]:
    """The sections of a page, in order: a station's, a bureau's, or a region's summary."""
    if scope.kind == "station":
        return STATION_PAGE
    return BUREAU_PAGE if scope.detail else REGION_PAGE


def day_queries() -> list[str]:
    """Every query the day's pages read, each once (scopes_of_day reads `stations` and
    `scorecard` too)."""
    names = ["stations", "scorecard"]
    for page in PAGES:
        for section in page:
            names += section.QUERIES
    return list(dict.fromkeys(names))


def read_day(con: duckdb.DuckDBPyConnection, as_of: date) -> Frames:
    """Every frame a day's briefing pages show, for all stations and bureaus."""
    return read_frames(con, day_queries(), {"as_of_date": as_of, "top_n": TOP_N})


def build_page(frames: Frames, page: Page) -> dict:
    """The template context of one briefing page: its header, then each section's context
    under the section's name."""
    scope, msg = page.scope, page.msg
    sections = page_sections(scope)
    context = {
        "page_title": msg.t("page", f"title_{scope.kind}").format(name=scope.name),
        "scope_label": msg.t("page", f"scope_{scope.kind}"),
        "scope_name": scope.name,
        "as_of": page.as_of.isoformat(),
        "as_of_weekday": msg.label("weekday", page.as_of.isoweekday()),
        "nav": {
            "site": os.path.relpath(page.settings.home / INDEX_PAGE, page.folder),
            "up": scope.up,
            "up_label": scope.up_label or msg.t("page", "scope_region"),
        },
        "quality": page.quality,
        "appendix": APPENDIX,
        "sections": [section_name(s) for s in sections],
    }
    for section in sections:
        context[section_name(section)] = section.context(frames, page)
    return context


def render_page(env: Environment, context: dict, shared: dict) -> str:
    """A briefing page as HTML text."""
    return env.get_template("briefing.html.j2").render(**shared, **context)


def publish_pages(settings: Settings, as_of: date) -> dict:
    """Write every briefing page of the day and its data-quality page; return the paths
    written and timings."""
    started = time.perf_counter()
    msg = Messages(settings.language)
    folder = settings.briefing_dir(as_of)
    generated_at = datetime.now().replace(microsecond=0)
    with warehouse.connect(settings) as con:
        frames = read_day(con, as_of)
        quality = data_quality.read_quality(con, as_of, msg, settings.hotspot_window_days)
    read_s = time.perf_counter() - started
    scopes = scopes_of_day(frames, settings.bureau)  # refuses unsafe ids before writing
    publish_quality_page(settings, as_of, msg, quality, generated_at)
    link_quality(quality, settings, as_of, folder)
    ensure_plotly_js(folder)
    write_methods(folder, msg, generated_at)
    env = templates()
    # a bureau's pages link to the province's run record of the day (one-warehouse homes
    # have none)
    record = run_record_href(settings, as_of, folder) if settings.bureau else None
    shared = page_globals(msg, generated_at) | {"run_record_href": record}
    written = []
    for scope in scopes:
        path = inside(folder, scope.page)
        page = Page(scope, as_of, msg, settings, quality, folder)
        atomic_write(path, render_page(env, build_page(frames, page), shared))
        written.append(path)
    return {
        "pages": written,
        "read_s": read_s,
        "total_s": time.perf_counter() - started,
    }


def publish_briefing(settings: Settings, as_of: date) -> Path:
    """Write the day's briefing pages (index.html, a page per station, plotly.min.js and
    methods.html beside them), its data-quality page and the index site; return index.html."""
    result = publish_pages(settings, as_of)
    publish_site_index(settings)
    log.info("published %d pages for %s in %.1f s", len(result["pages"]), as_of, result["total_s"])
    return result["pages"][0]
