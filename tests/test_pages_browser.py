"""Every kind of published page in a real browser (Debian's chromium, driven by playwright;
`make test` installs chromium, so a missing browser fails these tests rather than skipping):
it loads over file:// with the network off, asks for nothing outside file:// (or data:/blob:),
logs no console error, draws every chart, shows Chinese text, fits A4 when printed, and gets a
screenshot in test-output/browser/ for a person to look at."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from beatbrief.config import REPO_ROOT, Settings
from reports.paths import site_index, trends_dir
from reports.publish import publish_briefing
from reports.trends import publish_trends
from tests.reports.county import END, copy_county

CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO_ROOT / "test-output" / "browser"
ALLOWED_SCHEMES = ("file://", "data:", "blob:")
A4_CSS_PX = 794  # 210 mm at 96 px per inch


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """The county published: daily pages, data-quality page, commander view, index site."""
    settings = copy_county(tmp_path_factory.mktemp("browser"))
    publish_briefing(settings, END)
    publish_trends(settings, END)
    return settings.home


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists() or shutil.which("chromium"), (
        "chromium is missing: `make browser` installs Debian's package (never a download)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND",  # no host name resolves
            ],
        )
        yield instance
        instance.close()


def pages(home: Path) -> dict[str, Path]:
    briefings = home / "briefings" / END.isoformat()
    station = sorted(p for p in briefings.glob("[0-9]*.html"))[0]
    return {
        "station": station,
        "bureau_index": briefings / "index.html",
        "commander": trends_dir(Settings(home=home), END) / "index.html",
        "site_index": site_index(Settings(home=home)),
        "quality": home / "quality" / END.isoformat() / "index.html",
        "methods": briefings / "methods.html",
    }


def open_page(browser, path: Path, media: str | None = None):
    """Load a page offline; return it with the requests and console errors it produced."""
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    if media:
        page.emulate_media(media=media)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('div.plot')]"
        ".every(d => d.querySelector('.js-plotly-plot .main-svg, .main-svg'))",
        timeout=30_000,
    )
    return context, page, requests, errors


@pytest.mark.parametrize(
    ("kind", "charts"),
    [
        ("station", {"fig-categories", "fig-map", "fig-heatmap"}),
        ("bureau_index", {"fig-categories", "fig-map", "fig-heatmap"}),
        ("commander", {"fig-trend-13m", "fig-trend-3y"}),
        ("site_index", set()),
        ("quality", set()),
        ("methods", set()),
    ],
)
def test_page_renders_offline_with_every_chart(home, browser, kind, charts):
    path = pages(home)[kind]
    context, page, requests, errors = open_page(browser, path)
    try:
        assert requests and requests[0] == path.as_uri()
        outside = [url for url in requests if not url.startswith(ALLOWED_SCHEMES)]
        assert not outside, f"requests left file://: {outside}"
        assert not errors, errors
        drawn = page.evaluate(
            "() => [...document.querySelectorAll('div.plot')].map(d => "
            "[d.id, d.classList.contains('js-plotly-plot') && !!d.querySelector('.main-svg')])"
        )
        assert {div_id for div_id, _ in drawn} == charts
        assert all(ok for _, ok in drawn), drawn
        text = page.inner_text("body")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), "no Chinese text shown"
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{kind}.png"), full_page=True)
    finally:
        context.close()


def test_the_station_page_shows_its_labels_and_numbers(home, browser):
    context, page, _, _ = open_page(browser, pages(home)["station"])
    try:
        text = page.inner_text("body")
        for label in (
            "每日警情研判简报",
            "发案少",
            "秩序好",
            "社会稳定",
            "群众满意",
            "警情对比",
            "热点分布图",
            "高发路段",
            "近重复预警区",
            "次日",
            "规范达标情况",
            "预测问责",
            "数据质量",
            "附录：指标说明",
        ):
            assert label in text, label
        assert page.inner_text("#kpi-cases-today").strip().isdigit()
        # every "?" links to a definition in the local methods page
        hrefs = page.eval_on_selector_all("a.def", "els => els.map(e => e.getAttribute('href'))")
        assert hrefs and all(h.startswith("methods.html") for h in hrefs)
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["station", "bureau_index", "commander"])
def test_pages_fit_a4_when_printed(home, browser, kind):
    context, page, _, errors = open_page(browser, pages(home)[kind], media="print")
    try:
        page.set_viewport_size({"width": A4_CSS_PX - 90, "height": 1100})  # 12 mm margins
        page.wait_for_timeout(300)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{kind} is {overflow}px wider than A4"
        assert (
            page.evaluate("getComputedStyle(document.querySelector('nav.crumbs')).display")
            == "none"
        )
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and not errors
        (SHOTS / f"{kind}.pdf").write_bytes(pdf)
    finally:
        context.close()


def test_a_day_with_a_missing_feed_shows_the_banner_in_the_browser(tmp_path, browser):
    from transforms import warehouse

    settings = copy_county(tmp_path)
    with warehouse.connect(settings) as con:
        con.execute(
            "update feed_status set status = 'failed' where feed = 'cases' and as_of_date = ?",
            [END],
        )
    page_path = publish_briefing(settings, END)
    context, page, requests, errors = open_page(browser, page_path)
    try:
        banner = page.locator("#quality-banner")
        assert banner.is_visible() and "警情/案件" in banner.inner_text()
        assert "suspect" in page.get_attribute("#kpi-cases-today", "class")
        assert not errors and all(u.startswith(ALLOWED_SCHEMES) for u in requests)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "banner.png"))
    finally:
        context.close()


def test_hostile_names_stay_text_in_the_browser(tmp_path, browser):
    from transforms import warehouse

    evil = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
    settings = copy_county(tmp_path)
    with warehouse.connect(settings) as con:
        con.execute("update dim_communities set community_name = ?", [evil])
        con.execute("update dim_stations set station_name = ?", [evil])
    page_path = publish_briefing(settings, END)
    station = sorted(page_path.parent.glob("[0-9]*.html"))[0]
    for path in (page_path, station):
        context, page, requests, errors = open_page(browser, path)
        try:
            assert page.evaluate("window.__pwned === undefined")
            assert evil in page.inner_text("body")  # the name is shown, as text
            assert all(u.startswith(ALLOWED_SCHEMES) for u in requests)
            assert not errors, errors
        finally:
            context.close()


def test_data_docs_show_no_feed_value_in_the_browser(tmp_path, browser):
    from expectations.validate import validate_feed
    from tests.expectations.test_validate import COMMUNITIES, HEADER, STATIONS, land
    from transforms.ingest import ingest_feed

    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
    phone = "13912345678"
    settings = Settings(home=tmp_path)
    land(settings, "stations", "2026-10-01", "s.csv", STATIONS)
    land(settings, "communities", "2026-10-01", "c.csv", COMMUNITIES)
    rows = f'C1,2026-11-01,{phone},4,5\nC2,2026-11-01,1,2,3\n"{evil}",2026-11-01,1,2,3\n'
    land(settings, "population", "2026-11-01", "p.csv", f"{HEADER}\n{rows}")
    for feed in ("stations", "communities", "population"):
        ingest_feed(settings, feed, END)
        validate_feed(settings, feed, END)
    docs = sorted((settings.quality_dir / "data_docs").rglob("*.html"))
    assert any("validations" in p.parts for p in docs), docs
    for path in docs:
        context = browser.new_context(offline=True)
        page = context.new_page()
        try:
            page.goto(path.as_uri(), wait_until="load")
            assert page.evaluate("window.__pwned === undefined"), path
            html = page.content()
            assert phone not in html and "__pwned" not in html, path
        finally:
            context.close()


def bars_page(folder: Path, spec: dict) -> Path:
    """A page holding one category bar chart, with plotly.js beside it."""
    from reports.figures import figure_html
    from reports.render import PLOTLY_JS, ensure_plotly_js

    ensure_plotly_js(folder)
    path = folder / "bars.html"
    path.write_text(
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<script src="{PLOTLY_JS}"></script></head><body style="width: 520px">'
        f"{figure_html(spec, 'fig-categories')}</body></html>",
        encoding="utf-8",
    )
    return path


def test_a_long_category_name_is_not_clipped_in_the_browser(tmp_path, browser):
    import polars as pl

    from reports.figures import category_bars
    from reports.messages import Messages

    counts = pl.DataFrame(
        {"category": ["assault", "theft"], "day_count": [3, 1], "previous_7d_daily_avg": [0.4, 0.3]}
    )
    context, page, _, errors = open_page(
        browser, bars_page(tmp_path, category_bars(counts, Messages("zh-CN")))
    )
    try:
        ticks = page.eval_on_selector_all(
            "#fig-categories .ytick text",
            "els => els.map(e => [e.textContent, e.getBoundingClientRect().left])",
        )
        left = page.evaluate(
            "document.querySelector('#fig-categories').getBoundingClientRect().left"
        )
        assert "殴打他人/伤害" in [text for text, _ in ticks]
        assert all(x >= left for _, x in ticks), (left, ticks)  # no label starts off the chart
        assert not errors
    finally:
        context.close()
