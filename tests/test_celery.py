"""The daily DAG on the Celery executor (`make cluster`: PostgreSQL, Redis, two workers) ends as
the in-process run (`beatbrief run`) of the same simulated province does, with identical marts:
three bureaus, one of which lost its day's cases, run side by side on both workers; every
landed row is accounted for across the bureaus; and the province roll-up names the bureau that
is incomplete while the others brief normally, with every chart drawn in chromium.

Needs PostgreSQL (trust auth) and Redis on 127.0.0.1, which `make test` gets from
`make services`. Each run uses its own database, dropped afterwards, and a Redis database
index that nothing else uses, flushed afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil
import pytest

from beatbrief.airflow_runner import DAG_ID, logical_date_for
from beatbrief.cluster import MARK_VAR, POOL
from beatbrief.config import REPO_ROOT, Settings
from beatbrief.province_bench import RestClient, drop_run_data, trigger_and_wait
from beatbrief.services import HOST, POSTGRES_PORT, REDIS_PORT, postgres_answers, redis_answers
from transforms.route import unaccounted_files

DAY = date(2026, 11, 27)
RUN_ID = "celery_check"
SIMULATE = ["--end", DAY.isoformat(), "--days", "35", "--ping-days", "1", "--seed", "7"]
SIMULATE += ["--bureaus", "3"]
# the bureau whose cases of DAY never arrive (a district of the simulated province)
LATE_BUREAU, LATE_NAME = "220103000000", "长宁区公安分局"
SIMULATE_MAX_S = 30
CLUSTER_TIMEOUT_S = 420
RUN_TIMEOUT_S = 600
WORKERS = ("w1", "w2")
# Mart columns that hold when a row was computed rather than what the data says: none today
# (mart_day_cases.reported_at is when a case was reported, so it is compared).
COMPUTED_AT: dict[str, set[str]] = {}


@dataclass
class Cluster:
    """A `make cluster` under a throwaway home, on its own database and Redis index."""

    home: Path
    port: int
    db: str
    redis_db: int
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    # the triggered run's state, and (task id, map index) -> state of its task instances
    run_state: str = ""
    task_states: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def folder(self) -> Path:
        """PID files and component logs."""
        return self.home / "airflow" / "cluster"

    def make(self, target: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
        """Run `make <target>` with this cluster's variables."""
        variables = {
            "BEATBRIEF_HOME": self.home,
            "AIRFLOW_PORT": self.port,
            "CLUSTER_WORKERS": len(WORKERS),
            "CLUSTER_DB": self.db,
            "CLUSTER_REDIS_DB": self.redis_db,
        }
        return subprocess.run(
            ["make", "-C", str(REPO_ROOT), target, *(f"{k}={v}" for k, v in variables.items())],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def logs(self, lines: int = 40) -> str:
        """The tail of every component's log, for failure messages."""
        tails = []
        for log in sorted(self.folder.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"==> {log.name} <==\n" + "\n".join(text))
        return "\n".join(tails)


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _clean_env() -> dict[str, str]:
    """os.environ without this session's Airflow settings and make's jobserver."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "BEATBRIEF_"))
        and k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }


def _unused_redis_db() -> int:
    """A Redis database index other than 0 that holds no keys."""
    import redis

    client = redis.Redis(host=HOST, port=REDIS_PORT)
    try:
        count = int(client.config_get("databases").get("databases", 16))
        used = {int(name[2:]) for name in client.info("keyspace")}
    finally:
        client.close()
    free = [index for index in range(1, count) if index not in used]
    assert free, f"every Redis database index holds keys: {sorted(used)}"
    return random.choice(free)  # two runs at once are unlikely to pick the same one


def _leftovers(folder: Path) -> list[psutil.Process]:
    """Live processes whose environment marks them as the cluster's."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get(MARK_VAR) == str(
                folder
            ):
                found.append(proc)
    return found


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """The cluster's settings; `make cluster-stop` and the clean-up run even on failure."""
    assert postgres_answers() and redis_answers(), (
        f"PostgreSQL ({HOST}:{POSTGRES_PORT}) and Redis ({HOST}:{REDIS_PORT}) must answer: "
        "`make services` starts them (`make test` does)"
    )
    db = f"beatbrief_test_{uuid.uuid4().hex[:12]}"
    env = {
        **_clean_env(),
        # No scheduled run besides the triggered one, which unpausing would otherwise add.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    }
    running = Cluster(tmp_path / "home", _free_port(), db, _unused_redis_db(), env)
    leftovers: list[str] = []
    try:
        yield running
    finally:
        started = time.monotonic()
        stopped = running.make("cluster-stop", timeout_s=240)
        running.timings["cluster-stop"] = time.monotonic() - started
        for proc in _leftovers(running.folder):
            with contextlib.suppress(psutil.Error):
                leftovers.append(" ".join(proc.cmdline())[:120])
                proc.kill()
        drop_run_data(db, running.redis_db)
        print("timings (s):", {k: round(v, 1) for k, v in running.timings.items()})
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not leftovers, f"processes outlived make cluster-stop: {leftovers}"


def _in_process_states(home: Path) -> dict[tuple[str, int], str]:
    """(task id, map index) -> state of the in-process run (dag.test keeps one run a date)."""
    with contextlib.closing(sqlite3.connect(home / "airflow" / "airflow.db")) as con:
        rows = con.execute(
            "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ?", [DAG_ID]
        ).fetchall()
    return {(task_id, map_index): state for task_id, map_index, state in rows}


def _workers_of_tasks(cluster: Cluster) -> dict[tuple[str, int], list[str]]:
    """(task id, map index) -> the workers whose log says they executed it."""
    ran: dict[tuple[str, int], list[str]] = {}
    for name in WORKERS:
        log = cluster.folder / f"worker-{name}.log"
        for line in log.read_text(errors="replace").splitlines():
            if "Executing workload in Celery" in line and f"run_id='{RUN_ID}'" in line:
                task = re.search(r"task_id='([^']+)'", line)
                index = re.search(r"map_index=(-?\d+)", line)
                if task and index:
                    ran.setdefault((task[1], int(index[1])), []).append(name)
    return ran


def _registered_workers(broker_url: str) -> set[str]:
    """The Celery nodes that answer a ping on the broker."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        return set(app.control.inspect(timeout=3).ping() or {})
    finally:
        app.close()


def _mart_digests(home: Path) -> dict[str, tuple[int, str]]:
    """'<warehouse>:<table>' -> (rows, SHA-256 of the rows in a fixed order) for every mart_*
    table of every DuckDB warehouse under home (a bureau's, the province's)."""
    import duckdb

    digests = {}
    for warehouse in sorted(home.rglob("*.duckdb")):
        with contextlib.closing(duckdb.connect(str(warehouse), read_only=True)) as con:
            tables = con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and starts_with(table_name, 'mart_') order by 1"
            ).fetchall()
            for (table,) in tables:
                relation = con.table(table)
                columns = [c for c in relation.columns if c not in COMPUTED_AT.get(table, set())]
                rows = relation.select(*columns).order("all").fetchall()
                key = f"{warehouse.relative_to(home)}:{table}"
                digests[key] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return digests


def test_the_daily_dag_on_celery_matches_the_in_process_run(cluster: Cluster, tmp_path: Path):
    began = time.monotonic()
    simulate = [sys.executable, "-m", "beatbrief.cli", "simulate", "--home", str(cluster.home)]
    result = subprocess.run(
        [*simulate, *SIMULATE], env=cluster.env, capture_output=True, text=True, check=False
    )
    cluster.timings["simulate"] = time.monotonic() - began
    assert result.returncode == 0, result.stderr[-3000:]
    assert cluster.timings["simulate"] <= SIMULATE_MAX_S
    lose_the_days_cases(cluster.home, LATE_BUREAU)
    in_process_home = tmp_path / "in-process"
    shutil.copytree(cluster.home, in_process_home)

    # The in-process run of the same county, meanwhile: dag.test on SQLite, no services.
    started = time.monotonic()
    with open(tmp_path / "in-process.log", "w") as log:
        in_process = subprocess.Popen(
            [sys.executable, "-m", "beatbrief.cli", "run", "--home", str(in_process_home)]
            + ["--date", DAY.isoformat()],
            env=cluster.env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    ended: list[float] = []

    def wait_for_in_process() -> None:
        in_process.wait()
        ended.append(time.monotonic())

    waiter = threading.Thread(target=wait_for_in_process, daemon=True)
    waiter.start()
    try:
        _check_cluster_run(cluster)
        waiter.join(timeout=RUN_TIMEOUT_S)
    finally:
        if not ended:  # failed or timed out: do not leave it running
            in_process.kill()
        waiter.join()
    assert in_process.returncode >= 0, f"beatbrief run not done within {RUN_TIMEOUT_S} s"
    cluster.timings["in-process run"] = ended[0] - started
    in_process_log = (tmp_path / "in-process.log").read_text(errors="replace")

    # It ended as the in-process run did, task by task.
    expected = _in_process_states(in_process_home)
    assert cluster.task_states == expected, (
        f"Celery {cluster.task_states}\nin-process {expected}\n{in_process_log[-3000:]}"
    )
    assert cluster.run_state == ("success" if in_process.returncode == 0 else "failed")

    # And built the same marts.
    celery_marts = _mart_digests(cluster.home)
    in_process_marts = _mart_digests(in_process_home)
    assert celery_marts, "no mart_* table in the warehouse"
    differ = sorted(
        table
        for table in celery_marts.keys() | in_process_marts.keys()
        if celery_marts.get(table) != in_process_marts.get(table)
    )
    assert not differ, {t: (celery_marts.get(t), in_process_marts.get(t)) for t in differ}
    bureaus = {key.split("/")[1] for key in celery_marts if key.startswith("bureaus/")}
    assert bureaus == {"220199000000", "220102000000", LATE_BUREAU}
    assert any(key.startswith("province/") for key in celery_marts)  # the province marts too

    # The run failed, naming the late bureau's feed, and only that bureau is incomplete.
    assert cluster.run_state == "failed"
    assert f"failed: bureau.cases.validate[{LATE_BUREAU}]: " in in_process_log
    settings = Settings(home=cluster.home)
    assert unaccounted_files(settings, sorted(bureaus)) == []  # every landed row accounted for
    check_province_pages(settings, tmp_path / "profile")
    cluster.timings["test"] = time.monotonic() - began
    print(f"{len(celery_marts)} mart tables identical; run {cluster.run_state}")


def lose_the_days_cases(home: Path, bureau: str) -> None:
    """Drop the bureau's cases of DAY from the province's landed file (a record's first line
    starts with its case id and station id, and a station id starts with its bureau's admin
    code), as if its case system had not delivered."""
    (path,) = (home / "landing" / "cases" / DAY.isoformat()).iterdir()
    lines = path.read_bytes().split(b"\n")
    prefix = re.compile(rb"^[^,]*,\"?" + bureau[:6].encode() + rb"\d{6}")
    kept = [line for line in lines if not prefix.match(line)]
    assert len(lines) - len(kept) > 10, "the bureau had cases that day"
    path.write_bytes(b"\n".join(kept))


def check_province_pages(settings: Settings, profile: Path) -> None:
    """The province roll-up names the incomplete bureau in its banner, and it and every
    complete bureau's page draw their charts offline."""
    from tests.test_end_to_end import offline_dom

    folder = settings.briefing_dir(DAY)
    dom = offline_dom(folder / "index.html", profile)
    banner = dom[dom.index('id="incomplete-bureaus"') :][:3000]
    assert LATE_NAME in banner and "cases" in banner
    assert "示范县公安局" not in banner  # the others brief normally
    start = dom.index('id="province-bureaus"')
    assert "main-svg" in dom[start : start + 5000], "the bureaus chart did not render"
    for bureau in ("220199000000", "220102000000", LATE_BUREAU):
        page = folder / f"bureau-{bureau}.html"
        assert f'href="{page.name}"' in dom
        bureau_dom = offline_dom(page, profile)
        for chart in ("fig-categories", "fig-map", "fig-heatmap"):
            start = bureau_dom.index(f'id="{chart}"')
            assert "main-svg" in bureau_dom[start : start + 5000], f"{page.name}: {chart}"


def _check_cluster_run(cluster: Cluster) -> None:
    """Start the cluster, trigger beatbrief_daily for DAY, wait for it; record what ran where."""
    started = time.monotonic()
    up = cluster.make("cluster", timeout_s=CLUSTER_TIMEOUT_S)
    cluster.timings["make cluster"] = time.monotonic() - started
    assert up.returncode == 0, f"{up.stdout}\n{up.stderr}\n{cluster.logs()}"
    assert "Celery cluster up" in up.stdout, up.stdout

    broker = f"redis://{HOST}:{REDIS_PORT}/{cluster.redis_db}"
    nodes = _registered_workers(broker)
    assert {node.split("@")[0] for node in nodes} == set(WORKERS), nodes

    client = RestClient(cluster.url)
    client.login(cluster.home)
    pools = client.call(f"/api/v2/pools/{POOL}")
    assert pools["slots"] == len(WORKERS), pools
    triggered = time.monotonic()
    try:
        ended = trigger_and_wait(client, RUN_ID, logical_date_for(DAY), RUN_TIMEOUT_S)
    except TimeoutError:
        pytest.fail(f"{DAG_ID} {RUN_ID} did not end within {RUN_TIMEOUT_S} s:\n{cluster.logs()}")
    cluster.run_state = ended["run"]["state"]
    cluster.timings["celery run"] = time.monotonic() - triggered

    runs = client.call(f"/api/v2/dags/{DAG_ID}/dagRuns")
    assert [r["dag_run_id"] for r in runs["dag_runs"]] == [RUN_ID]  # no scheduled run besides
    instances = ended["tasks"]
    cluster.task_states = {(ti["task_id"], ti["map_index"]): ti["state"] for ti in instances}
    ran_on = _workers_of_tasks(cluster)
    for ti in sorted(instances, key=lambda ti: ti["start_date"] or ""):
        key = (ti["task_id"], ti["map_index"])
        print(f"{ti['task_id']:28} {ti['state']:16} {','.join(ran_on.get(key, ['-']))}")
    executed = {k for k, state in cluster.task_states.items() if state in {"success", "failed"}}
    assert executed <= ran_on.keys(), f"no worker log names {sorted(executed - ran_on.keys())}"
    print("tasks per worker:", {w: sum(w in names for names in ran_on.values()) for w in WORKERS})
    # the bureaus ran side by side: each worker ran bureau tasks, and some of them overlapped
    bureau_tasks = [ti for ti in instances if ti["task_id"].startswith("bureau.")]
    assert {
        w for ti in bureau_tasks for w in ran_on.get((ti["task_id"], ti["map_index"]), [])
    } == set(WORKERS)
    spans = sorted(
        (ti["start_date"], ti["end_date"])
        for ti in bureau_tasks
        if ti["start_date"] and ti["end_date"]
    )
    latest_end = [max(end for _, end in spans[: i + 1]) for i in range(len(spans))]
    overlapping = [i for i in range(1, len(spans)) if spans[i][0] < latest_end[i - 1]]
    assert overlapping, "no two bureau tasks ran at the same time"
