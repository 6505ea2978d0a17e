"""The weekly DAG: Monday 07:30 in Beijing, linked to the daily briefing through Assets, and
producing the commander view when run through Airflow (in a subprocess: Airflow reads its
configuration once per process, and this one is set up for another home)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from beatbrief.config import REPO_ROOT
from tests.reports.county import END, copy_province

RUN_WEEKLY = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from beatbrief.airflow_runner import airflow_env, prepare_airflow
    from beatbrief.config import Settings
    settings = Settings(home=Path(sys.argv[1]))
    os.environ.update(airflow_env(settings, quiet_tasks=True))
    prepare_airflow(settings)
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    dag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"]).dags["beatbrief_weekly"]
    run = dag.test(logical_date=pendulum.datetime(2026, 11, 30, 7, 30, tz="Asia/Shanghai"))
    print("STATE", run.state)
""")


def test_weekly_dag_is_a_monday_cron_with_the_daily_briefing_as_inlet():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    weekly, daily = bag.dags["beatbrief_weekly"], bag.dags["beatbrief_daily"]
    daily_outlets = {a.uri for a in daily.get_task("province").outlets}
    assert daily_outlets == {"beatbrief://briefings/daily"}
    bureau_views, province_view = (
        weekly.get_task("publish_trends"),
        weekly.get_task("publish_province_trends"),
    )
    assert {a.uri for a in bureau_views.inlets} == daily_outlets
    assert {a.uri for a in province_view.outlets} == {"beatbrief://trends/weekly"}
    assert bureau_views.pool == "beatbrief_bureaus"  # mapped over the bureaus
    timetable = weekly.timetable
    assert (timetable.expression, str(timetable.timezone)) == ("30 7 * * 1", "Asia/Shanghai")
    assert str(daily.timetable.timezone) == "Asia/Shanghai"  # 07:30 follows the daily 06:00


def test_the_weekly_run_publishes_the_commander_views_through_airflow(tmp_path):
    settings = copy_province(tmp_path)  # the daily run briefed on Friday; Sunday's is late
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    run = subprocess.run(
        [sys.executable, "-c", RUN_WEEKLY, str(settings.home)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "STATE success" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    folder = settings.home / "trends" / END.isoformat()
    (bureau,) = [p for p in folder.glob("bureau-*.html")]
    assert "fig-trend-3y" in bureau.read_text(encoding="utf-8")
    province = (folder / "index.html").read_text(encoding="utf-8")
    assert "province-months" in province and f'href="{bureau.name}"' in province
    assert f"trends/{END.isoformat()}/index.html" in (settings.home / "index.html").read_text(
        encoding="utf-8"
    )
