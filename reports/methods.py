"""The methods appendix: docs/metrics.md rendered to methods.html beside the pages, plus the
header comment (grain, parameters, definitions) of every SQL model and query the pages read.

Every number on a page links to an anchor here (`Methods.href`), so the definitions a reader
follows are the very text of docs/metrics.md and of the SQL files, never a second copy that
could drift. The page is written into each folder of pages, so a folder copied to a USB stick
keeps its definitions, as they stood on the day it was published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from beatbrief.config import REPO_ROOT
from reports import figures
from reports.data import QUERIES_DIR
from reports.messages import Messages
from reports.paths import INDEX_PAGE, METHODS_PAGE
from reports.render import atomic_write, templates
from reports.sections.scorecard import NORMS

METRICS_DOC = REPO_ROOT / "docs" / "metrics.md"
MARTS_DIR = REPO_ROOT / "transforms" / "marts"
# the SQL whose header comments the appendix shows: the marts the pages read
SQL_SOURCES = (
    "mart_trends",
    "mart_kpis",
    "mart_daily_counts",
    "mart_station_scorecard",
    "mart_community_scorecard",
    "mart_hotspot_cells",
    "mart_hot_road_segments",
    "mart_hot_places",
    "mart_time_profile",
    "mart_top_time_periods",
    "mart_near_repeat",
    "mart_near_repeat_alerts",
    "mart_patrol_alignment",
    "mart_patrol_team_alignment",
    "mart_patrol_plan",
    "mart_forecast_accuracy",
    "mart_emerging_hotspots",
    "mart_case_series",
)
_CODE = re.compile(r"`([a-z][a-z0-9_]*)`")
MODEL_PREFIXES = ("mart_", "dim_", "int_", "stg_")


def slug(heading: str) -> str:
    """A heading's anchor: its first `model_name` in backticks, else its English part after
    the last '·' in lower case with dashes (`统计说明 · Statistical notes` -> statistical-notes)."""
    code = _CODE.search(heading)
    if code and code.group(1).startswith(MODEL_PREFIXES):
        return code.group(1)
    text = heading.rsplit("·", 1)[-1]
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"[`*\\]", "", text).lower()).strip("-") or "section"


def sql_header(path: Path) -> str:
    """The leading comment block of a SQL file, without the comment markers."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].removeprefix(" "))
    return "\n".join(lines)


def _sql_path(name: str) -> Path:
    return (
        QUERIES_DIR / f"{name}.sql" if not name.startswith("mart_") else MARTS_DIR / f"{name}.sql"
    )


@dataclass
class Methods:
    """The rendered appendix and the anchors it holds."""

    doc_html: str
    sql: list[dict]
    anchors: set[str] = field(default_factory=set)

    def href(self, *names: str) -> str:
        """Link to the first of `names` that docs/metrics.md defines, else to the first SQL
        header (`sql-<name>`) there is; the appendix's top when neither exists."""
        for candidates in (names, [f"sql-{name}" for name in names]):
            for name in candidates:
                if name in self.anchors:
                    return f"{METHODS_PAGE}#{name}"
        return METHODS_PAGE


def _heading_ids(md: MarkdownIt) -> None:
    """Give every heading an id from `slug`, unique within the page."""

    def rule(state) -> None:
        seen: dict[str, int] = {}
        tokens = state.tokens
        for index, token in enumerate(tokens):
            if token.type == "heading_open":
                inline = tokens[index + 1]
                base = slug(inline.content)
                seen[base] = seen.get(base, 0) + 1
                token.attrSet("id", base if seen[base] == 1 else f"{base}-{seen[base]}")
                # a heading naming several models is also the anchor of the others
                for name in _CODE.findall(inline.content):
                    if name != base and name.startswith(MODEL_PREFIXES) and name not in seen:
                        seen[name] = 1
                        anchor = Token("html_inline", "", 0)
                        anchor.content = f'<span id="{name}"></span>'
                        inline.children.append(anchor)

    md.core.ruler.push("heading_ids", rule)


@cache
def load_methods() -> Methods:
    """Render docs/metrics.md (raw HTML in it is escaped, not passed through) and read the SQL
    headers; a missing file leaves its part out."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    _heading_ids(md)
    doc_html = ""
    anchors: set[str] = set()
    if METRICS_DOC.exists():
        tokens = md.parse(METRICS_DOC.read_text(encoding="utf-8"))
        anchors |= {t.attrGet("id") for t in tokens if t.type == "heading_open"}
        anchors |= {
            child.content[len('<span id="') : -len('"></span>')]
            for t in tokens
            if t.type == "inline"
            for child in t.children or []
            if child.type == "html_inline" and child.content.startswith('<span id="')
        }
        doc_html = md.renderer.render(tokens, md.options, {})
    sql = []
    for name in SQL_SOURCES:
        path = _sql_path(name)
        if path.exists():
            sql.append(
                {
                    "name": name,
                    "anchor": f"sql-{name}",
                    "header": sql_header(path),
                    "file": path.relative_to(REPO_ROOT).as_posix(),
                }
            )
            anchors.add(f"sql-{name}")
    return Methods(doc_html=doc_html, sql=sql, anchors=anchors)


# what each "?" on a page explains: the docs/metrics.md section (or SQL header) it links to,
# first match wins (reports.methods.Methods.href)
DEFINITIONS: dict[str, tuple[str, ...]] = {
    "headline": ("mart_kpis", "mart_station_scorecard"),
    "cases_today": ("mart_daily_counts",),
    "kpi_few_cases": ("mart_kpis",),
    "kpi_good_order": ("mart_kpis",),
    "kpi_stability": ("mart_kpis",),
    "kpi_satisfaction": ("mart_kpis",),
    "compstat": ("mart_trends",),
    "flags": ("page-flags-and-trend-charts", "statistical-notes"),
    "hotspots": ("mart_hotspot_cells",),
    "segments": ("mart_hot_road_segments",),
    "places": ("mart_hot_places",),
    "time": ("mart_time_profile",),
    "periods": ("mart_top_time_periods",),
    "alerts": ("mart_near_repeat_alerts", "mart_near_repeat"),
    "patrol": ("mart_patrol_alignment",),
    "teams": ("mart_patrol_team_alignment",),
    "plan": ("mart_patrol_plan",),
    "scorecard": ("mart_station_scorecard",),
    "forecast": ("mart_forecast_accuracy",),
    "trend_lines": ("page-flags-and-trend-charts", "mart_case_series"),
    "control_bands": ("page-flags-and-trend-charts", "mart_case_series"),
    "emerging": ("mart_emerging_hotspots",),
}
DEFINITIONS |= {
    f"patrol_{key}": ("mart_patrol_alignment",)
    for key in (
        "hot_cells",
        "koper_share",
        "hot_cells_dosed",
        "unvisited_hot_cells",
        "patrol_minutes",
        "hot_minutes_share",
        "visible_patrol_minutes",
    )
}
DEFINITIONS |= {
    f"norm_{key}": ("mart_station_scorecard", "mart_community_scorecard") for key, *_ in NORMS
}


def page_globals(msg: Messages, generated_at: datetime) -> dict:
    """What every page's template needs: labels, fonts, definition links, the timestamp."""
    methods = load_methods()
    return {
        "language": msg.language,
        "t": msg.page(),
        "m": msg.groups(),
        "font_stack": Markup(figures.FONT_STACK),
        "defs": {key: methods.href(*names) for key, names in DEFINITIONS.items()},
        "generated_at": generated_at.isoformat(timespec="seconds"),
    }


def write_methods(folder: Path, msg: Messages, generated_at: datetime) -> Path:
    """methods.html beside the pages: docs/metrics.md and the SQL headers, rendered."""
    methods = load_methods()
    html = (
        templates()
        .get_template("methods.html.j2")
        .render(
            **page_globals(msg, generated_at),
            doc_html=Markup(methods.doc_html),
            sql=methods.sql,
            index_href=INDEX_PAGE,
        )
    )
    target = folder / METHODS_PAGE
    atomic_write(target, html)
    return target
