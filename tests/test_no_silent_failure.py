"""No silent failure, through Airflow itself (`beatbrief run` in a fresh process): a value no
model can take is contained in its row, a run that fails says so in one line and ends failed
in Airflow, and one bad row never stops the days after it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from beatbrief.airflow_runner import logical_date_for
from beatbrief.config import REPO_ROOT, Settings
from beatbrief.simulate import run_simulation
from tests.pipeline import county_bureau
from transforms import warehouse
from transforms.route import province_connect

END = date(2026, 11, 27)
DAY_BEFORE = END - timedelta(days=1)


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    """A small clean county with patrols on its last two days."""
    home = tmp_path_factory.mktemp("county") / "home"
    run_simulation(home, end=END, days=35, seed=11, scale="county", fault_rate=0.0, ping_days=2)
    return home


def beatbrief_run(home: Path, day: date, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`beatbrief run --home home --date day` in a fresh interpreter, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "BEATBRIEF_"))}
    (tmp_path / "user-home").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "beatbrief.cli", "run", "--home", str(home), "--date", str(day)],
        capture_output=True,
        text=True,
        env={**env, "HOME": str(tmp_path / "user-home")},
        cwd=REPO_ROOT,
        timeout=900,
        check=False,
    )


def land_faults(settings: Settings, day: date) -> None:
    """Beside the day's own files: cases with a NaN latitude, a 1 MB field and a quote left
    open mid-file (good cases after it), and a full re-delivery of the stations with one
    changed row and one id unsafe as a file name."""
    stations = sorted(settings.landing_dir.glob("stations/*/stations.csv"))[0]
    lines = stations.read_text(encoding="utf-8-sig").splitlines()
    station_id = lines[1].split(",")[0]
    header = (
        "case_id,station_id,kind,category,place_type,reported_at,updated_at,status,lon,lat,address"
    )
    at = f"{day} 10:00:00"

    def case(case_id: str, lat: str = "43.9", address: str = "人民路1号") -> str:
        return (
            f"{case_id},{station_id},criminal,burglary,street,{at},{at},filed,125.3,{lat},{address}"
        )

    rows = [
        case("NAN1", lat="NaN"),
        case("HUGE1", address="x" * (1 << 20)),
        case("QUOTE1", address='"人民路2号'),
        case("GOOD1"),
        case("GOOD2"),
    ]
    (settings.landing_partition("cases", day) / "late_faults.csv").write_text(
        "\n".join([header, *rows]) + "\n", encoding="utf-8"
    )
    first = lines[1].split(",")
    changed = ",".join([*first[:3], str(int(first[3]) + 1), *first[4:]])
    unsafe = ",".join(["../../x", *first[1:]])
    folder = settings.landing_partition("stations", day)
    folder.mkdir(parents=True)
    (folder / "stations.csv").write_text(
        "\n".join([lines[0], changed, *lines[2:], unsafe]) + "\n", encoding="utf-8"
    )


def run_state(home: Path, day: date) -> tuple[str, dict[str, tuple[str, int]]]:
    """The Airflow run's state, and each task's state and number of tries, from the metadata DB."""
    logical = logical_date_for(day).in_timezone("UTC").strftime("%Y-%m-%d %H:%M")
    with sqlite3.connect(home / "airflow" / "airflow.db") as con:
        run_id, state = con.execute(
            "select run_id, state from dag_run where dag_id = 'beatbrief_daily' "
            "and logical_date like ?",
            [f"{logical}%"],
        ).fetchone()
        tasks = con.execute(
            "select task_id, state, try_number from task_instance where run_id = ?", [run_id]
        ).fetchall()
    con.close()
    return state, {task: (task_state, tries) for task, task_state, tries in tasks}


def test_a_bad_row_is_contained_a_failed_run_says_so_and_the_next_day_briefs(county, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(county, home)
    settings = Settings(home=home)

    # 1. Each bad value landed in a feed is quarantined with its rule, the records after a
    # broken quote are read, a full stations re-delivery stays whole, and the day briefs.
    land_faults(settings, DAY_BEFORE)
    first = beatbrief_run(home, DAY_BEFORE, tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert Path(first.stdout.strip().splitlines()[-1]).exists()
    # one progress line per task as it ends: task, seconds, rows
    assert re.search(
        r"done bureau\.cases\.validate\[\d+\] in [\d.]+ s: [\d,]+ rows: [\d,]+ accepted",
        first.stdout,
    )
    assert "Returned value was" not in first.stdout  # no result dicts in the console
    province, settings = settings, county_bureau(settings)
    quarantined = {}
    with province_connect(province) as con:
        quarantined |= dict(
            con.execute("select split_part(raw_record, ',', 1), rule from quarantine").fetchall()
        )
    with warehouse.connect(settings) as con:
        quarantined |= dict(
            con.execute(
                "select split_part(raw_record, ',', 1), rule from quarantine "
                "where feed in ('cases', 'stations')"
            ).fetchall()
        )
        accepted = con.execute(
            "select case_id from accepted_cases where case_id in "
            "('NAN1', 'HUGE1', 'QUOTE1', 'GOOD1', 'GOOD2') order by 1"
        ).fetchall()
        stations = con.execute("select count(*) from dim_stations").fetchall()[0][0]
        landed = (
            len(
                sorted(province.landing_dir.glob("stations/*/stations.csv"))[0]
                .read_text(encoding="utf-8-sig")
                .splitlines()
            )
            - 1
        )
        detail = con.execute(
            "select detail from quarantine where raw_record like 'NAN1,%'"
        ).fetchall()
        # 2. The same value slipped past validation (as it did before the rule existed).
        con.execute(
            "update accepted_cases set lat = 'nan'::double where case_id = (select min(case_id) "
            "from accepted_cases where _partition_date = ? and lat is not null)",
            [DAY_BEFORE],
        )
    assert quarantined == {
        "NAN1": "expect_column_values_to_be_null(_non_finite)",
        "HUGE1": "expect_column_values_to_be_null(_too_long)",
        # the open quote swallowed the record's fields, its station among them, so no bureau
        # can take it: the province keeps it (docs/data-quality.md)
        "QUOTE1": "route_record_readable",
        "../../x": "expect_column_values_to_match_regex(station_id)",
    }
    assert detail == [("lat='NaN'",)]
    assert accepted == [("GOOD1",), ("GOOD2",)]
    assert stations == landed  # the re-delivery is the whole reference, not its changed row

    # The run fails, at once and loudly: one line names the task, the model and the row.
    failed = beatbrief_run(home, END, tmp_path)
    assert failed.returncode == 1
    line = failed.stderr.strip().splitlines()[-1]
    bureau = settings.bureau
    assert line.startswith(
        f"beatbrief_daily {END} failed: bureau.transform[{bureau}]: ModelError: model "
    )
    assert re.search(r"accepted_cases\.lat at \S+\.csv:\d+", line)
    assert f"(not run: bureau.publish[{bureau}])" in line
    # the bureau's pages were not published; the province roll-up was, naming it as missing
    assert not (settings.briefing_dir(END) / f"bureau-{bureau}.html").exists()
    rollup = province.briefing_dir(END) / "index.html"
    assert f"briefing (with a banner naming the failure): {rollup}" in failed.stdout
    banner = rollup.read_text(encoding="utf-8")
    banner = banner[banner.index('id="incomplete-bureaus"') :][:2000]
    assert "示范县公安局" in banner and "缺失" in banner
    state, tasks = run_state(home, END)
    assert state == "failed"
    assert tasks["bureau.transform"] == ("failed", 1)  # a data error is not retried
    assert tasks["bureau.publish"][0] == "upstream_failed" and tasks["finish"][0] == "failed"

    # 3. Once the row is mended, the same day briefs: nothing else was left behind.
    with warehouse.connect(settings) as con:
        con.execute("update accepted_cases set lat = null where isnan(lat)")
    mended = beatbrief_run(home, END, tmp_path)
    assert mended.returncode == 0, mended.stderr[-3000:]
    assert Path(mended.stdout.strip().splitlines()[-1]) == rollup
    assert run_state(home, END)[0] == "success"
