"""Every DAG in dags/ imports cleanly, parses fast without work, and follows the house rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from beatbrief.config import REPO_ROOT, TIMEZONE

DAGS_DIR = REPO_ROOT / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
# Measured: beatbrief_daily.py parses in ~0.03 s; importing GX at top level alone costs ~2.7 s.
MAX_PARSE_S = 1.0
# Work belongs inside tasks: a DAG file is parsed every 30 s by the dag-processor.
HEAVY_MODULES = (
    "duckdb",
    "great_expectations",
    "plotly",
    "polars",
    "pandas",
    "pyarrow",
    "transforms",
    "expectations",
    "reports",
)
PARSE_PROBE = """
import json, sys, time, importlib.util
import airflow.sdk, pendulum  # every DAG file pays for these; time only the file itself
path = sys.argv[1]
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("dag_under_test", path)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps({"seconds": time.perf_counter() - start, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def dagbag():
    """All DAGs in dags/, parsed the way the dag-processor does (no DB needed)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def _tz_name(tz) -> str:
    """IANA name of a pendulum/zoneinfo timezone or a plain string."""
    return getattr(tz, "name", None) or str(tz)


def test_dags_folder_has_dags():
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}"


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_every_file_defines_a_dag_and_the_daily_dag_exists(dagbag):
    files = {Path(dag.fileloc).name for dag in dagbag.dags.values()}
    assert files == {p.name for p in DAG_FILES}
    assert "beatbrief_daily" in dagbag.dags


def test_parse_time_within_bound(dagbag):
    slow = {stat.file: stat.duration.total_seconds() for stat in dagbag.dagbag_stats}
    assert slow and all(s < MAX_PARSE_S for s in slow.values()), slow


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_imports_nothing_heavy_and_writes_nothing(dag_file: Path, tmp_path: Path):
    # A fresh interpreter: this test process has imported half the stack already.
    empty_home = tmp_path / "home"
    empty_home.mkdir()
    env = {**os.environ, "BEATBRIEF_HOME": str(empty_home)}
    result = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(dag_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    heavy = sorted({m.split(".")[0] for m in probe["modules"]} & set(HEAVY_MODULES))
    assert not heavy, f"{dag_file.name} imports {heavy} at parse time; import inside tasks"
    assert probe["seconds"] < MAX_PARSE_S, probe["seconds"]
    assert list(empty_home.iterdir()) == [], "parsing wrote under BEATBRIEF_HOME"


def test_dag_rules(dagbag):
    problems = []
    for dag_id, dag in sorted(dagbag.dags.items()):
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        if not (dag.doc_md or "").strip():
            problems.append(f"{dag_id}: no doc_md")
        if dag.catchup:
            problems.append(f"{dag_id}: catchup is on")
        if _tz_name(dag.timezone) != TIMEZONE:
            problems.append(f"{dag_id}: timezone {_tz_name(dag.timezone)}")
        schedule_tz = getattr(dag.timetable, "timezone", None)
        if schedule_tz is not None and _tz_name(schedule_tz) != TIMEZONE:
            problems.append(f"{dag_id}: schedule timezone {_tz_name(schedule_tz)}")
        problems += [
            f"{dag_id}.{task.task_id}: retries={task.retries}"
            for task in dag.tasks
            if task.retries < 2
        ]
    assert not problems, "\n".join(problems)


def test_daily_dag_routes_then_maps_each_bureau_reference_first_then_rolls_up(dagbag):
    from beatbrief.feeds import FEED_NAMES

    dag = dagbag.dags["beatbrief_daily"]
    upstream = {task.task_id: task.get_flat_relative_ids(upstream=True) for task in dag.tasks}
    for earlier, later in pairwise(FEED_NAMES):
        assert f"route_{earlier}" in upstream[f"route_{later}"]
        assert f"bureau.{earlier}.validate" in upstream[f"bureau.{later}.validate"]
    for feed in FEED_NAMES:
        assert f"route_{feed}" in upstream["bureaus"]
        assert f"bureau.{feed}.ingest" in upstream[f"bureau.{feed}.validate"]
        assert f"bureau.{feed}.validate" in upstream["bureau.transform"]
    assert upstream["bureau.publish"] >= {"bureau.transform"}
    assert upstream["province"] >= {"bureau.publish", "bureau.transform"}
    # every bureau task is mapped over the bureaus and draws on the bureaus' pool
    bureau_tasks = [t for t in dag.tasks if t.task_id.startswith("bureau.")]
    assert len(bureau_tasks) == 2 * len(FEED_NAMES) + 2
    assert {t.pool for t in bureau_tasks} == {"beatbrief_bureaus"}
    assert all(t.get_closest_mapped_task_group() is not None for t in bureau_tasks)
    assert dag.max_active_tasks > 1  # one writer per bureau file, not one for the province


def test_the_daily_run_has_one_leaf_that_judges_every_task(dagbag):
    from beatbrief.outcome import record_error

    dag = dagbag.dags["beatbrief_daily"]
    leaves = [task.task_id for task in dag.tasks if not task.downstream_task_ids]
    assert leaves == ["finish"]  # a run's state comes from its leaves
    finish = dag.get_task("finish")
    assert finish.trigger_rule == "all_done"
    assert finish.get_flat_relative_ids(upstream=True) == set(dag.task_ids) - {"finish"}
    # every task keeps its error for finish and `beatbrief run` to name
    assert all(record_error in (task.on_failure_callback or []) for task in dag.tasks)
