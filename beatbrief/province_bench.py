"""`make bench`, the province part: one simulated province day through the bureau-parallel DAG
on the Celery cluster, with 1 and then 2 workers.

For each worker count it copies the same landed files into a fresh HOME, starts the cluster
(beatbrief.cluster, on its own PostgreSQL database and Redis index), triggers beatbrief_daily
through the REST API, samples the resident memory of every task process every half second,
and reads each task instance's start and end back from the API. It reports:
- the wall time from trigger to the end of the run, and the speedup of 2 workers over 1;
- per stage (route, ingest, validate, transform, publish, province), the seconds summed over
  the stage's task instances, against one bare DuckDB pass over the same input (the county
  and province floors of beatbrief.bench);
- the peak RSS of the largest task process;
- from the measured per-bureau cost, the wall time expected for N bureaus on 1, 4 and 16
  worker machines (on paper: the bureau chains divided over the workers, plus routing and the
  province roll-up, which run alone).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from beatbrief.cluster import cluster_dir, start, stop
from beatbrief.config import Settings

DAG_ID = "beatbrief_daily"
PORT = 8795
RUN_TIMEOUT_S = 4 * 3600
MACHINES = (1, 4, 16)
STAGES = ("route", "ingest", "validate", "transform", "publish", "province")


@dataclass
class RestClient:
    """The Airflow REST API of a cluster, as the generated admin user."""

    url: str
    token: str = ""

    def call(self, path: str, body: dict | None = None, method: str | None = None) -> dict:
        """One call; raises on an HTTP error."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")

    def login(self, home: Path) -> None:
        """A bearer token for the generated admin user."""
        passwords = home / "airflow" / "simple_auth_manager_passwords.json.generated"
        user, password = next(iter(json.loads(passwords.read_text()).items()))
        self.token = self.call("/auth/token", {"username": user, "password": password})[
            "access_token"
        ]


def trigger_and_wait(client: RestClient, run_id: str, logical_date, timeout_s: float) -> dict:
    """Trigger beatbrief_daily, unpause it (a run of a paused DAG is not scheduled), wait until
    it ends; return the run and its task instances."""
    deadline = time.monotonic() + timeout_s
    while True:  # the dag-processor may not have parsed the DAG yet
        try:
            client.call(f"/api/v2/dags/{DAG_ID}")
            break
        except urllib.error.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    body = {"dag_run_id": run_id, "logical_date": logical_date.isoformat()}
    client.call(f"/api/v2/dags/{DAG_ID}/dagRuns", body)
    client.call(f"/api/v2/dags/{DAG_ID}", {"is_paused": False}, "PATCH")
    while time.monotonic() < deadline:
        run = client.call(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        if run["state"] in ("success", "failed"):
            path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=10000"
            return {"run": run, "tasks": client.call(path)["task_instances"]}
        time.sleep(2)
    raise TimeoutError(f"{DAG_ID} {run_id} did not end within {timeout_s} s")


@dataclass
class MemorySampler:
    """The peak resident memory of each task process, sampled twice a second: every process
    below a Celery worker's main process (the worker's pool child, the task supervisor and the
    task it forks), found from the cluster's PID files (worker-<name>.pid)."""

    folder: Path
    peaks: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _workers(self) -> list:
        import psutil

        found = []
        for pid_file in sorted(self.folder.glob("worker-*.pid")):
            with contextlib.suppress(psutil.Error, OSError, ValueError):
                found.append(psutil.Process(int(pid_file.read_text().split()[0])))
        return found

    def _run(self) -> None:
        import psutil

        workers = self._workers()
        while not self._stop.wait(0.5):
            for worker in workers:
                with contextlib.suppress(psutil.Error, OSError):
                    for proc in worker.children(recursive=True):
                        with contextlib.suppress(psutil.Error, OSError):
                            rss = proc.memory_info().rss / 2**20
                            self.peaks[proc.pid] = max(rss, self.peaks.get(proc.pid, 0.0))

    def largest_task(self) -> float:
        """The peak RSS (MiB) of the largest task process."""
        return max(self.peaks.values(), default=0.0)


def stage_of(task_id: str) -> str:
    """The stage a task instance belongs to."""
    if task_id.startswith("route_"):
        return "route"
    if task_id.startswith("bureau."):
        return task_id.rsplit(".", 1)[-1]
    return task_id


def _seconds(ti: dict) -> float:
    """A task instance's run time from its start and end."""
    if not ti.get("start_date") or not ti.get("end_date"):
        return 0.0
    start_at = datetime.fromisoformat(ti["start_date"].replace("Z", "+00:00"))
    end_at = datetime.fromisoformat(ti["end_date"].replace("Z", "+00:00"))
    return (end_at - start_at).total_seconds()


def run_once(landing_home: Path, scratch: Path, workers: int, day: date) -> dict:
    """One province day on `workers` Celery workers, from a copy of the landed files."""
    from beatbrief.airflow_runner import logical_date_for

    home = scratch / f"workers-{workers}"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(landing_home / "landing", home / "landing")
    settings = Settings(home=home)
    # Unpausing would also start a scheduled run for the latest interval beside the measured
    # one: the scheduler creates no scheduled runs here (a setting the cluster lets win).
    os.environ["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "False"
    db = f"beatbrief_bench_{uuid.uuid4().hex[:10]}"
    redis_db = 14 - workers
    if start(settings, port=PORT, workers=workers, db=db, redis_db=redis_db) != 0:
        raise RuntimeError(f"the cluster with {workers} workers did not start")
    try:
        client = RestClient(f"http://127.0.0.1:{PORT}")
        client.login(home)
        began = time.monotonic()
        with MemorySampler(cluster_dir(settings)) as memory:
            result = trigger_and_wait(
                client, f"bench_{workers}", logical_date_for(day), RUN_TIMEOUT_S
            )
        wall = time.monotonic() - began
        runs = client.call(f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"]
        if [r["dag_run_id"] for r in runs] != [f"bench_{workers}"]:
            raise RuntimeError(f"other runs beside the measured one: {runs}")
    finally:
        stop(settings)
        drop_run_data(db, redis_db)
    stages = dict.fromkeys(STAGES, 0.0)
    bureau_seconds: dict[int, float] = {}
    for ti in result["tasks"]:
        seconds = _seconds(ti)
        stage = stage_of(ti["task_id"])
        stages[stage] = stages.get(stage, 0.0) + seconds
        if ti["task_id"].startswith("bureau."):
            bureau_seconds[ti["map_index"]] = bureau_seconds.get(ti["map_index"], 0.0) + seconds
    peak = memory.largest_task()
    return {
        "workers": workers,
        "state": result["run"]["state"],
        "wall_s": wall,
        "stages_s": stages,
        "bureaus": len(bureau_seconds),
        "bureau_s": sorted(bureau_seconds.values()),
        "tasks": len(result["tasks"]),
        "peak_task_mb": peak,
    }


def drop_run_data(db: str, redis_db: int) -> None:
    """Remove a cluster run's metadata database and its broker's keys."""
    import psycopg2
    import redis

    con = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        con.close()
    client = redis.Redis(host="127.0.0.1", port=6379, db=redis_db)
    try:
        client.flushdb()
    finally:
        client.close()


def projection(one: dict, bureaus: int = 60) -> dict[int, float]:
    """Wall time expected for `bureaus` bureaus on 1, 4 and 16 machines of 2 workers each,
    from the 1-worker run: the mean bureau chain times the bureaus per worker (rounded up),
    plus routing and the province roll-up, which run alone and grow with the province."""
    import math

    per_bureau = sum(one["bureau_s"]) / max(len(one["bureau_s"]), 1)
    scale = bureaus / max(one["bureaus"], 1)
    alone = (one["stages_s"]["route"] + one["stages_s"]["province"]) * scale
    overhead = max(one["wall_s"] - sum(one["stages_s"].values()), 0.0) * scale
    return {
        machines: alone
        + overhead / (2 * machines)
        + math.ceil(bureaus / (2 * machines)) * per_bureau
        for machines in MACHINES
    }


def print_report(runs: list[dict], floor_s: float, bureaus_planned: int) -> None:
    """The province table: stages, wall, speedup, memory, and the projection."""
    bureaus = runs[0]["bureaus"]
    print(f"\n== province day through the bureau-parallel DAG on Celery ({bureaus} bureaus)")
    print(f"floor (one bare DuckDB pass over the same landed files): {floor_s:.2f} s")
    columns = [f"{r['workers']} worker(s) s" for r in runs]
    header = f"{'stage':12}" + "".join(f"{column:>18}" for column in columns)
    print(header + f"{'x floor (1 worker)':>20}")
    for stage in STAGES:
        cells = "".join(f"{r['stages_s'].get(stage, 0.0):18.1f}" for r in runs)
        ratio = runs[0]["stages_s"].get(stage, 0.0) / floor_s if floor_s else float("nan")
        print(f"{stage:12}{cells}{ratio:20.0f}")
    print(f"{'wall':12}" + "".join(f"{r['wall_s']:18.1f}" for r in runs))
    for r in runs:
        print(
            f"{r['workers']} worker(s): {r['state']}, {r['tasks']} task instances, largest task "
            f"peak RSS {r['peak_task_mb']:.0f} MiB (goal 4 GB)"
        )
    if len(runs) > 1:
        print(
            f"speedup of 2 workers over 1: {runs[0]['wall_s'] / runs[1]['wall_s']:.2f}x (goal 1.6x)"
        )
    print(f"expected wall for {bureaus_planned} bureaus (machines of 2 workers, on paper):")
    for machines, seconds in projection(runs[0], bureaus_planned).items():
        print(f"  {machines:>2} machine(s): {seconds / 60:6.1f} min")


def run_in_subprocess(landing_home: Path, scratch: Path, workers: int, day: date) -> dict:
    """run_once in a fresh interpreter: Airflow reads its configuration once per process, and
    each run has its own AIRFLOW_HOME and metadata database."""
    import subprocess
    import sys

    out = scratch / f"run-{workers}.json"
    subprocess.run(
        [sys.executable, "-m", "beatbrief.province_bench", str(landing_home), str(scratch)]
        + [str(workers), day.isoformat(), str(out)],
        check=True,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """`python -m beatbrief.province_bench LANDED SCRATCH WORKERS DAY OUT`: one run, as JSON."""
    import sys

    landed, scratch, workers, day, out = argv if argv is not None else sys.argv[1:]
    result = run_once(Path(landed), Path(scratch), int(workers), date.fromisoformat(day))
    Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
