"""The daily pages on a small simulated county: every page written, feed-derived text escaped
(in HTML and in the embedded figure JSON), unsafe ids refused before anything is written, a
failed feed flagged, re-runs byte-identical, writes atomic, every definition link resolving."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from reports import paths, publish, render
from reports.bench import province_warehouse
from reports.site import publish_site_index
from tests.reports.county import END, copy_county, county_home
from transforms import warehouse

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
GENERATED_AT = re.compile(rb'<span id="generated-at">[^<]*</span>')
TEMPLATES = Path(publish.__file__).parent / "templates"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A private copy of the county, published once for the read-only tests."""
    settings = copy_county(tmp_path_factory.mktemp("publish"))
    publish.publish_briefing(settings, END)
    return settings


def station_ids(settings) -> list[str]:
    with warehouse.connect(settings) as con:
        return [
            r[0] for r in con.execute("select station_id from dim_stations order by 1").fetchall()
        ]


def test_every_page_of_the_day_is_written(county):
    folder = county.briefing_dir(END)
    ids = station_ids(county)
    assert (
        sorted(p.stem for p in folder.glob("*.html") if p.stem not in ("index", "methods")) == ids
    )
    index = (folder / "index.html").read_text(encoding="utf-8")
    for marker in (
        'id="kpi-cases-today"',
        'id="fig-categories"',
        'id="fig-map"',
        'id="fig-heatmap"',
        'id="compstat"',
        'id="stations"',
        'id="quality"',
    ):
        assert marker in index, marker
    station = (folder / f"{ids[0]}.html").read_text(encoding="utf-8")
    for marker in (
        'id="fig-map"',
        'id="fig-heatmap"',
        'id="scorecard"',
        'id="patrol"',
        'id="near-repeat"',
        'id="forecast"',
        'id="segments"',
        'id="methods"',
    ):
        assert marker in station, marker
    assert 'href="index.html"' in station  # back up to the bureau roll-up
    for name in ("plotly.min.js", "methods.html"):
        assert (folder / name).is_file()
    assert (county.quality_dir / END.isoformat() / "index.html").is_file()
    site = paths.site_index(county).read_text(encoding="utf-8")
    assert f'href="briefings/{END.isoformat()}/index.html"' in site
    assert max(p.stat().st_size for p in folder.glob("*.html")) < 2_000_000


def test_every_definition_link_resolves(county):
    folder = county.briefing_dir(END)
    methods = (folder / "methods.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="([^"]+)"', methods))
    assert {"mart_trends", "mart_hotspot_cells", "sql-mart_station_scorecard"} <= anchors
    for page in folder.glob("*.html"):
        for target in re.findall(r'href="methods\.html#([^"]+)"', page.read_text("utf-8")):
            assert target in anchors, (page.name, target)


def test_feed_derived_text_is_escaped_in_html_and_in_figure_json(tmp_path):
    settings = copy_county(tmp_path)
    with warehouse.connect(settings) as con:
        con.execute("update dim_communities set community_name = ?", [EVIL])
        con.execute("update dim_stations set station_name = ?, bureau_name = ?", [EVIL, EVIL])
        con.execute("update mart_hot_road_segments set segment_name = ?", [EVIL])
        con.execute(
            "update mart_patrol_plan set segment_name = ?, community_name = ?", [EVIL, EVIL]
        )
    publish.publish_briefing(settings, END)
    pages = [*settings.briefing_dir(END).glob("*.html"), paths.site_index(settings)]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html, page.name
    station = settings.briefing_dir(END) / f"{station_ids(settings)[0]}.html"
    html = station.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in html  # shown as text
    assert "\\u003cscript\\u003ealert(" in html  # community names in the map's hover text
    # every <script> element of the page is one of ours: plotly.js, the plots, the print hook
    assert len(re.findall(r"<script", html)) == html.count("Plotly.newPlot") + 2


@pytest.mark.parametrize(
    "bad", ["../x", "..", "a/b", "a\\b", "", "S 1", "站1", "-x", ".hidden", "x" * 65, None]
)
def test_unsafe_ids_are_refused(bad):
    with pytest.raises(paths.UnsafeIdError):
        paths.station_page(bad)
    with pytest.raises(paths.UnsafeIdError):
        paths.bureau_page(bad)


def test_an_unsafe_station_id_in_the_data_writes_nothing(tmp_path):
    settings = copy_county(tmp_path)
    with warehouse.connect(settings) as con:
        first = con.execute("select min(station_id) from dim_stations").fetchall()[0][0]
        con.execute(
            "update dim_stations set station_id = '../../escaped' where station_id = ?", [first]
        )
    with pytest.raises(paths.UnsafeIdError, match="escaped"):
        publish.publish_briefing(settings, END)
    assert not settings.briefing_dir(END).exists()
    assert not list(settings.home.rglob("escaped*"))


def test_page_names_cannot_collide():
    with pytest.raises(paths.UnsafeIdError):
        paths.check_unique(["a.html", "a.html"])
    with pytest.raises(paths.UnsafeIdError):
        paths.check_unique(["methods.html"])


def test_a_failed_feed_puts_the_banner_on_every_page(tmp_path):
    settings = copy_county(tmp_path)
    with warehouse.connect(settings) as con:
        con.execute(
            "update feed_status set status = 'failed', problems = 'no file landed' "
            "where feed = 'cases' and as_of_date = ?",
            [END],
        )
    publish.publish_briefing(settings, END)
    for page in settings.briefing_dir(END).glob("*.html"):
        if page.name == "methods.html":
            continue
        html = page.read_text(encoding="utf-8")
        banner = html[html.index('id="quality-banner"') :]
        assert "警情/案件" in banner[:2000], page.name
        assert 'class="value suspect" id="kpi-cases-today"' in html, page.name


def test_publishing_twice_gives_the_same_pages(tmp_path):
    settings = copy_county(tmp_path)
    publish.publish_briefing(settings, END)
    folder = settings.briefing_dir(END)
    first = {p.name: GENERATED_AT.sub(b"", p.read_bytes()) for p in folder.iterdir()}
    publish.publish_briefing(settings, END)
    assert {p.name: GENERATED_AT.sub(b"", p.read_bytes()) for p in folder.iterdir()} == first


def test_a_failed_write_leaves_the_old_page_whole(tmp_path, monkeypatch):
    settings = copy_county(tmp_path)
    publish.publish_briefing(settings, END)
    folder = settings.briefing_dir(END)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("reports.render.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        publish.publish_briefing(settings, END)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no temp debris


def test_english_pages_through_the_language_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("BEATBRIEF_LANGUAGE", "en")
    settings = type(copy_county(tmp_path)).from_env(tmp_path / "home")
    assert settings.language == "en"
    html = publish.publish_briefing(settings, END).read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Daily briefing" in html and "CompStat" in html
    assert "每日警情研判简报" not in html and "今日概况" not in html


def test_several_bureaus_get_a_roll_up_and_a_page_each(tmp_path):
    settings = type(copy_county(tmp_path))(home=tmp_path / "province")
    stations = province_warehouse(type(settings)(home=county_home()), settings, END, copies=2)
    publish.publish_briefing(settings, END)
    folder = settings.briefing_dir(END)
    bureaus = sorted(p.name for p in folder.glob("bureau-*.html"))
    assert len(bureaus) == 2
    assert len([p for p in folder.glob("P*.html")]) == stations
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{b}"' in index for b in bureaus)
    assert 'id="fig-map"' not in index and 'id="bureaus"' in index
    assert 'id="kpi_few_cases"' in index  # the region's cards, from the marts' region rows
    bureau = (folder / bureaus[0]).read_text(encoding="utf-8")
    assert 'id="fig-map"' in bureau and 'href="index.html"' in bureau


def test_the_site_index_lists_every_date_newest_first(tmp_path):
    settings = type(copy_county(tmp_path))(home=tmp_path / "site")
    for day in ("2026-11-25", "2026-11-27", "2026-11-26"):
        (settings.home / "briefings" / day).mkdir(parents=True)
        (settings.home / "briefings" / day / "index.html").write_text("x")
    (settings.home / "trends" / "2026-11-26").mkdir(parents=True)
    (settings.home / "trends" / "2026-11-26" / "index.html").write_text("x")
    (settings.home / "briefings" / "not-a-date").mkdir()
    html = publish_site_index(settings).read_text(encoding="utf-8")
    dates = re.findall(r'href="briefings/(\d{4}-\d{2}-\d{2})/index.html"', html)
    assert dates[1:] == ["2026-11-27", "2026-11-26", "2026-11-25"]  # [0] is "latest"
    assert 'href="trends/2026-11-26/index.html"' in html


def test_the_vendored_plotly_bundle_matches_the_python_package():
    head = render.PLOTLY_BUNDLE.read_text(encoding="utf-8")[:300]
    assert f"v{get_plotlyjs_version()}" in head and "cartesian" in head


# Labels come from reports/messages.yaml only: after removing Jinja tags, comments, HTML tags
# and <style>/<script> bodies, no letter of any script may be left in a template.
def test_templates_hold_no_literal_text():
    for template in TEMPLATES.rglob("*.j2"):
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
        text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<!--.*?-->|<[^>]*>", " ", text, flags=re.S)
        text = re.sub(r"&[a-z]+;", " ", text)
        letters = re.findall(r"[^\W\d_]+", text)
        assert not letters, f"{template.name}: literal text {letters[:5]}"


def test_every_label_exists_in_both_languages():
    import yaml

    catalogue = yaml.safe_load(Path(publish.__file__).with_name("messages.yaml").read_text("utf-8"))
    for group, entries in catalogue.items():
        for key, entry in entries.items():
            assert set(entry) == {"zh-CN", "en"} and all(entry.values()), (group, key)


def test_a_day_without_marts_still_publishes(tmp_path):
    settings = copy_county(tmp_path)
    html = publish.publish_briefing(settings, date(2026, 11, 20)).read_text(encoding="utf-8")
    assert 'id="kpi-cases-today">0<' in html
