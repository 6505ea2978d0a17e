"""GX Data Docs of a small validated feed (the stations reference, the cheapest feed to
validate): every page works in chromium with the network blocked, runs are named after the
feed and the briefing date, and the history is bounded by `data_docs_history_days`."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from beatbrief.config import Settings
from expectations.validate import validate_feed
from tests.expectations.test_validate import STATIONS, land
from transforms.ingest import ingest_feed

CHROMIUM = "/usr/bin/chromium"
ALLOWED_SCHEMES = ("file://", "data:", "blob:")
AS_OF = date(2026, 11, 27)
RUNS = {"stations-2026-11-27-1-of-1", "stations-2026-11-27"}  # the row check's chunk, health


def validated_stations(home: Path, *days: date, **overrides) -> Settings:
    """A home whose stations reference was landed once and validated on each of `days`."""
    settings = Settings(home=home, **overrides)
    land(settings, "stations", "2026-01-01", "s.csv", STATIONS)
    for day in days:
        ingest_feed(settings, "stations", day)
        validate_feed(settings, "stations", day)
    return settings


def docs_dir(settings: Settings) -> Path:
    return settings.quality_dir / "data_docs"


def result_runs(settings: Settings) -> set[tuple[str, str]]:
    """(suite, run name) of every validation result in the GX store and of every page."""
    stored = settings.gx_dir / "gx" / "uncommitted" / "validations"
    return {(p.parts[-4], p.parts[-3]) for p in stored.rglob("*.json")}


def page_runs(settings: Settings) -> set[tuple[str, str]]:
    return {
        (p.parts[-4], p.parts[-3]) for p in (docs_dir(settings) / "validations").rglob("*.html")
    }


@pytest.fixture(scope="module")
def stations(tmp_path_factory) -> Settings:
    return validated_stations(tmp_path_factory.mktemp("data_docs"), AS_OF)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND",
            ],
        )
        yield instance
        instance.close()


def open_blocked(browser, path: Path, color_scheme: str = "light"):
    """Load a page with every request outside file:// aborted; return the page, the URLs
    that tried to leave file:// (seen by the route or as requests), the local files that
    failed to load and the console errors."""
    context = browser.new_context(
        color_scheme=color_scheme, viewport={"width": 1200, "height": 900}
    )
    outside: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def block(route):
        if route.request.url.startswith(ALLOWED_SCHEMES):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", block)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda r: failed.append(r.url) if r.url.startswith("file:") else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    outside += [url for url in requests if not url.startswith(ALLOWED_SCHEMES)]
    return context, page, sorted(set(outside)), failed, errors


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_data_docs_work_with_the_network_blocked(stations, browser, color_scheme):
    index = docs_dir(stations) / "index.html"
    result = next((docs_dir(stations) / "validations" / "stations").rglob("*.html"))
    context, page, outside, failed, errors = open_blocked(browser, index, color_scheme)
    try:
        assert not outside, f"requests left file://: {outside}"
        assert not failed and not errors, (failed, errors)
        # the index lists the validation results: bootstrap-table draws the rows from data
        rows = page.eval_on_selector_all(
            "table.ge-index-page-validation-results-table tbody tr[data-href]",
            "rows => rows.map(r => [r.innerText, r.getAttribute('data-href')])",
        )
        assert {run for text, _ in rows for run in RUNS if run in text} == RUNS, rows
        assert all((index.parent / href).is_file() for _, href in rows), rows
        assert result.relative_to(index.parent).as_posix() in {href for _, href in rows}
        suites = page.eval_on_selector_all(
            "#Expectation-Suites tbody tr[data-href]", "rows => rows.map(r => r.innerText.trim())"
        )
        assert sorted(suites) == ["stations", "stations_health"]
    finally:
        context.close()
    context, page, outside, failed, errors = open_blocked(browser, result, color_scheme)
    try:
        assert not outside, f"requests left file://: {outside}"
        assert not failed and not errors, (failed, errors)
        # Bootstrap's styles, its scripts, bootstrap-table and Font Awesome all loaded
        assert (
            page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display")
            == "flex"
        )
        assert page.evaluate("typeof jQuery.fn.bootstrapTable === 'function'")
        assert page.evaluate(
            "typeof jQuery.fn.modal === 'function' && typeof vegaEmbed === 'function'"
        )
        assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
        assert "stations-2026-11-27-1-of-1" in page.inner_text("body")
    finally:
        context.close()


def test_runs_are_named_after_the_feed_and_the_briefing_date(stations):
    assert result_runs(stations) == {
        ("stations", "stations-2026-11-27-1-of-1"),
        ("stations_health", "stations-2026-11-27"),
    }
    assert page_runs(stations) == result_runs(stations)


def test_results_older_than_the_history_are_pruned_with_their_pages(tmp_path):
    # 60 days before 2026-11-27 is 2026-09-28: that day's run is kept, 2026-08-01's is not
    settings = validated_stations(
        tmp_path, date(2026, 8, 1), date(2026, 9, 28), data_docs_history_days=60
    )
    old = {  # the rows were new on the first day only
        ("stations", "stations-2026-08-01-1-of-1"),
        ("stations_health", "stations-2026-08-01"),
    }
    kept = {("stations_health", "stations-2026-09-28")}
    assert result_runs(settings) == page_runs(settings) == old | kept
    ingest_feed(settings, "stations", AS_OF)
    validate_feed(settings, "stations", AS_OF)
    kept |= {("stations_health", "stations-2026-11-27")}
    assert result_runs(settings) == page_runs(settings) == kept
    index = (docs_dir(settings) / "index.html").read_text(encoding="utf-8")
    assert "stations-2026-08-01" not in index and "stations-2026-09-28" in index


def test_the_history_setting_is_at_least_one_day(tmp_path):
    from beatbrief.config import SettingsError

    assert Settings(home=tmp_path).data_docs_history_days == 90
    with pytest.raises(SettingsError, match="DATA_DOCS_HISTORY_DAYS"):
        Settings(home=tmp_path, data_docs_history_days=0)


def test_no_gx_template_loads_anything_from_outside_the_site():
    """Every template GX ships, as the offline views read it: no asset from outside the site,
    and every vendored file is there (a GX upgrade that loads something new fails here)."""
    import re

    from jinja2 import Environment, PackageLoader

    from expectations.data_docs import VENDORED, VENDORED_DIR, offline_source

    loaders = [
        PackageLoader("great_expectations", "render/view/templates"),
        PackageLoader("great_expectations", "render/view/static/styles"),
    ]
    environment = Environment()
    loading = re.compile(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.I)
    for loader in loaders:
        for name in loader.list_templates():
            source, _, _ = loader.get_source(environment, name)
            offline = offline_source(name, source)
            assert not loading.search(offline), name
            assert "amazonaws.com" not in offline, name
    assert all((VENDORED_DIR / path).is_file() for path in VENDORED.values())
