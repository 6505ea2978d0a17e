"""Re-runs, killed runs, missing and collapsed feeds: the warehouse stays consistent and a bad
feed never becomes a quietly wrong briefing."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from beatbrief.config import Settings
from beatbrief.simulate import run_simulation
from reports.paths import briefing_page
from reports.publish import publish_briefing
from tests.pipeline import county_bureau, run_day
from transforms import warehouse

END = date(2026, 11, 27)
GENERATED_AT = re.compile(rb'<span id="generated-at">[^<]*</span>')


def simulate(home: Path) -> Settings:
    run_simulation(home, end=END, days=35, seed=11, scale="county", fault_rate=0.0, ping_days=1)
    return Settings(home=home)


def warehouse_state(settings: Settings) -> dict[str, str]:
    """A digest of every table's full, ordered content."""
    with warehouse.connect(settings) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables order by 1"
            ).fetchall()
        ]
        return {
            t: hashlib.sha256(
                repr(con.execute(f"select * from {t} order by all").fetchall()).encode()
            ).hexdigest()
            for t in tables
        }


def page_bytes(path: Path) -> bytes:
    """A page's bytes without its one generation timestamp."""
    return GENERATED_AT.sub(b"", path.read_bytes())


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    """One simulated county, copied by each test that changes it."""
    return simulate(tmp_path_factory.mktemp("county") / "home").home


def copy_of(county: Path, tmp_path: Path) -> Settings:
    shutil.copytree(county, tmp_path / "home")
    return Settings(home=tmp_path / "home")


def test_running_a_day_twice_changes_nothing(county, tmp_path):
    settings = copy_of(county, tmp_path)
    assert run_day(settings, END) == {}
    first_page = publish_briefing(settings, END)
    first = warehouse_state(settings)
    first_bytes = page_bytes(first_page)
    assert run_day(settings, END) == {}
    second_page = publish_briefing(settings, END)
    assert warehouse_state(settings) == first
    assert page_bytes(second_page) == first_bytes
    quality = settings.quality_dir / END.isoformat() / "index.html"
    assert b"generated-at" in quality.read_bytes()


def test_a_killed_transform_leaves_the_warehouse_consistent(county, tmp_path):
    settings = copy_of(county, tmp_path)
    day_before = END - timedelta(days=1)
    run_day(settings, day_before)
    before = warehouse_state(settings)
    script = tmp_path / "kill.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, signal
        from datetime import date
        import transforms.runner as runner
        from pathlib import Path
        from beatbrief.config import Settings
        from tests.pipeline import load_feeds
        settings = Settings(home=Path({str(settings.home)!r}))
        load_feeds(settings, date.fromisoformat({END.isoformat()!r}))
        real = runner.run_model
        def run_then_die(con, model, params):
            real(con, model, params)
            if model.name == "mart_daily_counts":
                os.kill(os.getpid(), signal.SIGKILL)  # the machine dies mid-transform
        runner.run_model = run_then_die
        runner.build_models(settings, date.fromisoformat({END.isoformat()!r}))
    """)
    )
    killed = subprocess.run(
        [sys.executable, str(script)],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    after = warehouse_state(settings)
    # the loads committed, the transform did not: every model is as it was the day before
    models = [t for t in before if t.startswith(("stg_", "int_", "mart_", "dim_"))]
    assert models and {t: after[t] for t in models} == {t: before[t] for t in models}
    with warehouse.connect(settings) as con:
        assert con.execute(
            "select count(*) from mart_daily_counts where as_of_date = ?", [END]
        ).fetchall() == [(0,)]
    # and the next run completes
    assert run_day(settings, END) == {}
    with warehouse.connect(settings) as con:
        assert (
            con.execute(
                "select count(*) from mart_daily_counts where as_of_date = ?", [END]
            ).fetchall()[0][0]
            > 0
        )


def test_a_collapsed_feed_is_rejected_and_flagged(county, tmp_path):
    settings = copy_of(county, tmp_path)
    day = settings.landing_partition("cases", END)
    (path,) = list(day.iterdir())
    keep = 5
    if path.suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[:keep]), encoding="utf-8")
    else:
        data = path.read_bytes()
        lines = data.splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: keep + 1]))
    failures = run_day(settings, END)
    assert set(failures) == {"cases"}
    assert "volume_ratio" in failures["cases"] and path.name in failures["cases"]
    with warehouse.connect(settings) as con:
        assert con.execute(
            "select status, rows_accepted from load_manifest where file_path = ?",
            [path.relative_to(settings.landing_dir).as_posix()],
        ).fetchall() == [("rejected", 0)]
        assert con.execute(
            "select status from feed_status where feed = 'cases' and as_of_date = ?", [END]
        ).fetchall() == [("failed",)]
    page = publish_briefing(settings, END).read_text(encoding="utf-8")
    assert 'id="quality-banner"' in page and "警情/案件" in page


def test_a_missing_feed_through_airflow_still_briefs_with_a_banner(county, tmp_path):
    settings = copy_of(county, tmp_path)
    shutil.rmtree(settings.landing_partition("cases", END))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "beatbrief.cli",
            "run",
            "--home",
            str(settings.home),
            "--date",
            END.isoformat(),
        ],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # the DAG run fails (the cases feed failed) but the briefing is published, with a banner
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "cases" in run.stderr
    bureau = county_bureau(settings)
    page = briefing_page(bureau, END).read_text(encoding="utf-8")
    banner = page[page.index('id="quality-banner"') :]
    assert "警情/案件" in banner[:2000]
    assert 'class="value suspect" id="kpi-cases-today"' in page
    # the province roll-up names the bureau whose feed failed, and marks it incomplete
    rollup = (settings.briefing_dir(END) / "index.html").read_text(encoding="utf-8")
    banner = rollup[rollup.index('id="incomplete-bureaus"') :]
    assert "示范县公安局" in banner[:2000] and "cases" in banner[:2000]
