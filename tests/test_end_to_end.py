"""End to end on the simulator: simulate a small county, run the daily DAG through Airflow,
then check that the warehouse holds exactly what landed and the briefing shows it."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from beatbrief.airflow_runner import run_daily
from beatbrief.config import Settings
from beatbrief.pii import find_pii
from beatbrief.simulate import run_simulation
from reports.paths import briefing_page
from tests.pipeline import county_bureau
from transforms import warehouse

END = date(2026, 11, 27)


@pytest.fixture(scope="module")
def demo(beatbrief_home: Path, airflow_db) -> Settings:
    """A clean simulated county (40 days, 3 days of patrols) run through the daily DAG: a
    province of one bureau, whose settings these are."""
    settings = Settings(home=beatbrief_home)
    run_simulation(
        beatbrief_home, end=END, days=40, seed=7, scale="county", fault_rate=0.0, ping_days=3
    )
    assert run_daily(settings, END) == 0
    return county_bureau(settings)


def bureau_briefing(settings: Settings) -> Path:
    """The bureau's full briefing (the day's index.html is the province roll-up above it)."""
    return briefing_page(settings, END)


def landed(settings: Settings) -> list[dict]:
    return json.loads((settings.truth_dir / "manifest.json").read_text(encoding="utf-8"))


def read_records(path: Path) -> list[dict]:
    """Records of a landed CSV (GB18030 or UTF-8 with BOM) or JSON-lines file, as text."""
    data = path.read_bytes()
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("gb18030")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_landed_row_is_in_the_warehouse(demo):
    files = landed(demo)
    with warehouse.connect(demo) as con:
        manifest = {
            f"landing/{path}": (status, read, accepted, quarantined, dup)
            for path, status, read, accepted, quarantined, dup in con.execute(
                "select file_path, status, rows_read, rows_accepted, rows_quarantined, "
                "rows_duplicate from load_manifest"
            ).fetchall()
        }
        accepted_counts = {
            feed: con.execute(f"select count(*) from {warehouse.accepted_table(feed)}").fetchall()[
                0
            ][0]
            for feed in {f["feed"] for f in files}
        }
    assert set(manifest) == {f["path"] for f in files}
    for f in files:
        # a clean simulation: every row read is accepted
        assert manifest[f["path"]] == ("validated", f["rows"], f["rows"], 0, 0), f["path"]
    for feed, count in accepted_counts.items():
        assert count == sum(f["rows"] for f in files if f["feed"] == feed), feed


def test_the_briefing_counts_what_landed(demo):
    page = bureau_briefing(demo).read_text(encoding="utf-8")
    # count the day's cases independently of the pipeline, straight from the landed files
    reported = {}
    for f in landed(demo):
        if f["feed"] == "cases":
            for record in read_records(demo.home / f["path"]):
                reported[record["case_id"]] = record["reported_at"]
    expected = sum(1 for at in reported.values() if at.startswith(END.isoformat()))
    shown = re.search(r'id="kpi-cases-today">(\d+)<', page)
    assert shown is not None and int(shown.group(1)) == expected > 0
    for chart in ("fig-categories", "fig-map", "fig-heatmap"):
        assert f'id="{chart}"' in page
    assert "每日警情研判简报" in page
    assert (demo.briefing_dir(END) / "plotly.min.js").stat().st_size > 1_000_000
    assert "cdn" not in page.lower()


def test_no_personal_data_leaves_staging(demo):
    # the simulator really planted personal data in the landed cases
    landed_text = "".join(
        (demo.home / f["path"]).read_bytes().decode("gb18030", errors="replace")
        for f in landed(demo)
        if f["feed"] == "cases"
    )
    assert find_pii(landed_text), "the simulated cases should carry ID-card and phone numbers"
    with warehouse.connect(demo) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where regexp_matches(table_name, '^(stg|int|mart|dim)_')"
            ).fetchall()
        ]
        assert "stg_cases" in tables and "mart_day_cases" in tables
        for table in tables:
            text = con.execute(f"select cast(list({table}) as varchar) from {table}").fetchall()
            assert not find_pii(text[0][0] or ""), f"personal data in {table}"
    folders = [demo.home / "briefings", demo.quality_dir, demo.home / "plans"]
    published = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    assert any(p.name == "index.html" for p in published)
    for path in published:
        assert not find_pii(path.read_text(encoding="utf-8", errors="replace")), path


def offline_dom(page: Path, profile: Path) -> str:
    """The DOM of a page after chromium has run its scripts, with no network at all."""
    chromium = shutil.which("chromium")
    assert chromium, "make test installs Debian's chromium"
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            # any host name resolves nowhere: the page must need no network
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def test_the_briefing_renders_offline_in_chromium(demo, tmp_path):
    dom = offline_dom(bureau_briefing(demo), tmp_path / "profile")
    for chart in ("fig-categories", "fig-map", "fig-heatmap"):
        start = dom.index(f'id="{chart}"')
        assert "main-svg" in dom[start : start + 5000], f"{chart} did not render"


def test_the_province_rollup_drills_down_to_the_bureau_and_every_station(demo, tmp_path):
    index = demo.briefing_dir(END) / "index.html"
    dom = offline_dom(index, tmp_path / "profile")
    start = dom.index('id="province-bureaus"')
    assert "main-svg" in dom[start : start + 5000], "the bureaus chart did not render"
    bureau = bureau_briefing(demo)
    assert f'href="{bureau.name}"' in dom
    assert 'id="incomplete-bureaus"' not in dom  # a clean county: no banner
    bureau_html = bureau.read_text(encoding="utf-8")
    assert 'href="index.html"' in bureau_html  # up to the province
    with warehouse.connect(demo) as con:
        stations = [s for (s,) in con.execute("select station_id from dim_stations").fetchall()]
    assert stations
    for station in stations:
        assert f'href="{station}.html"' in dom and f'href="{station}.html"' in bureau_html
        assert (demo.briefing_dir(END) / f"{station}.html").is_file()
