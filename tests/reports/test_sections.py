"""A briefing section is findable by one name: every section of every page list has a query,
a module and a template partial of that name, every query file belongs to a section, to the
commander view or to the shared reference frames, and every section builds and renders its
part of a page from small frames."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from beatbrief.config import Settings
from reports import province, publish, trends
from reports.data import QUERIES_DIR, Frames
from reports.messages import Messages
from reports.methods import page_globals
from reports.quality import QualityView
from reports.render import TEMPLATES, templates
from reports.scope import Page, Scope

SECTIONS_DIR = Path(publish.__file__).parent / "sections"
PARTIALS_DIR = TEMPLATES / "sections"
SHARED = {"stations", "communities"}  # reference frames every section may read
SECTIONS = {publish.section_name(s): s for page in publish.PAGES for s in page}


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_a_section_is_a_query_a_module_and_a_partial_of_one_name(name):
    section = SECTIONS[name]
    assert section.__name__ == f"reports.sections.{name}"
    assert (QUERIES_DIR / f"{name}.sql").is_file(), f"queries/{name}.sql"
    assert (PARTIALS_DIR / f"{name}.html.j2").is_file(), f"templates/sections/{name}.html.j2"
    assert callable(section.context) and section.__doc__
    assert not section.QUERIES or section.QUERIES[0] == name  # its own query first
    for query in section.QUERIES:
        assert (QUERIES_DIR / f"{query}.sql").is_file(), (name, query)
        owner = query.split("__")[0]
        assert owner in SECTIONS or query in SHARED, (name, query)
        assert "__" not in query or owner == name, f"{name} reads {query}, a part of {owner}"


def test_every_module_partial_and_query_belongs_to_a_page():
    modules = {p.stem for p in SECTIONS_DIR.glob("*.py")} - {"__init__"}
    partials = {p.name.removesuffix(".html.j2") for p in PARTIALS_DIR.glob("*.html.j2")}
    assert modules == set(SECTIONS) and partials == set(SECTIONS)
    queries = {p.stem for p in QUERIES_DIR.glob("*.sql")}
    owned = {q for q in queries if q.split("__")[0] in SECTIONS}
    assert queries - owned - SHARED == (set(trends.QUERIES) - set(SECTIONS) - SHARED) | set(
        province.QUERIES
    )


def test_the_page_lists():
    names = [[publish.section_name(s) for s in page] for page in publish.PAGES]
    station, bureau, region = names
    assert sorted(station) == sorted(bureau)  # the same sections, the scorecard elsewhere
    assert station.index("scorecard") > station.index("patrol_plan")  # the station's norms
    assert bureau.index("scorecard") == bureau.index("categories") + 1  # the league
    assert set(region) < set(bureau) and "hotspot_map" not in region
    assert station[0] == "kpis" and all(page[-1] == "data_quality" for page in names)


MSG = Messages("zh-CN")
AS_OF = date(2026, 11, 27)


def frames() -> Frames:
    """A day with one station and one community and no mart rows at all."""
    return Frames(
        {
            "stations": pl.DataFrame(
                {
                    "station_id": ["S1"],
                    "bureau_id": ["B1"],
                    "station_name": ["一所"],
                    "bureau_name": ["一局"],
                    "lon": [125.0],
                    "lat": [43.8],
                }
            ),
            "communities": pl.DataFrame(
                {
                    "community_id": ["C1"],
                    "station_id": ["S1"],
                    "bureau_id": ["B1"],
                    "community_name": ["一社区"],
                    "lon": [125.01],
                    "lat": [43.81],
                }
            ),
        }
    )


@pytest.mark.parametrize(
    "scope",
    [
        Scope("station", "S1.html", "一所", ["S1"], ["B1"], detail=True, up="index.html"),
        Scope("region", "index.html", "一局", ["S1"], ["B1"], detail=True),
        Scope("region", "index.html", "一局、二局", ["S1"], ["B1", "B2"], detail=False),
    ],
    ids=["station", "bureau", "region"],
)
def test_every_section_builds_and_renders_on_a_day_without_marts(scope, tmp_path):
    page = Page(scope, AS_OF, MSG, Settings(home=tmp_path), QualityView([], []), tmp_path)
    context = publish.build_page(frames(), page)
    sections = publish.page_sections(scope)
    assert context["sections"] == [publish.section_name(s) for s in sections]
    assert all(isinstance(context[name], dict) for name in context["sections"])
    html = publish.render_page(templates(), context, page_globals(MSG, datetime(2026, 11, 28)))
    assert 'id="headline"' in html and 'id="quality"' in html
    assert ('id="fig-map"' in html) == scope.detail
