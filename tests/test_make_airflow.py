"""`make airflow` serves the project's DAGs on 127.0.0.1 only and stops without leftovers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from beatbrief.config import REPO_ROOT

STARTUP_TIMEOUT_S = 180
HOST = "127.0.0.1"


@dataclass
class Server:
    """A running `make airflow` and where to reach it."""

    proc: subprocess.Popen[bytes]
    port: int
    home: Path
    log: Path
    started: float

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the server's console, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _request(
    url: str, token: str | None = None, body: dict | None = None, method: str | None = None
) -> tuple[int, str, bytes]:
    """Status, content type and body of one HTTP request (errors included)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def _family(server: Server) -> list[psutil.Process]:
    """Every process started for this server that is still around.

    Descendants of make, members of its process group (orphans keep the group) and anything
    whose environment names our throwaway home (Airflow moves task and parser processes to
    their own groups; setproctitle blanks /proc/PID/environ for some, hence all three).
    """
    found: dict[int, psutil.Process] = {}
    with contextlib.suppress(psutil.Error):
        found.update((p.pid, p) for p in psutil.Process(server.proc.pid).children(recursive=True))
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.pid != server.proc.pid and (
                os.getpgid(proc.pid) == server.proc.pid
                or proc.environ().get("BEATBRIEF_HOME") == str(server.home)
            ):
                found.setdefault(proc.pid, proc)
    return list(found.values())


def _stop(server: Server) -> list[str]:
    """Ctrl-C the whole process group, then kill what remains; return what had to be killed."""
    family = _family(server)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGINT)
    try:
        server.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=10)
    alive += [p for p in _family(server) if p not in alive]
    leftovers = []
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            leftovers.append(" ".join(proc.cmdline())[:120])
            proc.kill()
    psutil.wait_procs(alive, timeout=10)
    return leftovers


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`make airflow` on a free port with a throwaway BEATBRIEF_HOME, in its own process group."""
    home, port, log = tmp_path / "home", _free_port(), tmp_path / "make-airflow.log"
    # Only what the Makefile sets: drop this session's Airflow settings and make's jobserver.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "BEATBRIEF_"))
        and k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                "make",
                "-C",
                str(REPO_ROOT),
                "airflow",
                f"AIRFLOW_PORT={port}",
                f"BEATBRIEF_HOME={home}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    running = Server(proc, port, home, log, time.monotonic())
    leftovers: list[str] = []
    try:
        yield running
    finally:
        leftovers = _stop(running)
    assert not leftovers, f"processes outlived make airflow: {leftovers}"


def _login(server: Server) -> str | None:
    """A bearer token for the generated admin user, once the server hands one out."""
    passwords = server.home / "airflow" / "simple_auth_manager_passwords.json.generated"
    if not passwords.exists():
        return None
    user, password = next(iter(json.loads(passwords.read_text()).items()))
    status, _, body = _request(
        f"{server.url}/auth/token", body={"username": user, "password": password}
    )
    return json.loads(body)["access_token"] if status == 201 else None


def _wait_for_dag(server: Server, dag_id: str) -> tuple[str, dict]:
    """Poll the REST API until dag_id is listed; return the token and the DAG's entry."""
    token = None
    while time.monotonic() - server.started < STARTUP_TIMEOUT_S:
        assert server.proc.poll() is None, f"make airflow exited early:\n{server.log_tail()}"
        with contextlib.suppress(OSError):
            token = token or _login(server)
            if token:
                status, _, body = _request(
                    f"{server.url}/api/v2/dags?dag_id_pattern={dag_id}", token
                )
                dags = json.loads(body)["dags"] if status == 200 else []
                for entry in dags:
                    if entry["dag_id"] == dag_id:
                        return token, entry
        time.sleep(1)
    pytest.fail(f"{dag_id} not listed within {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}")


def test_make_airflow_lists_the_dag_on_loopback_only(server: Server):
    token, dag = _wait_for_dag(server, "beatbrief_daily")
    listed_after = time.monotonic() - server.started
    print(f"beatbrief_daily listed {listed_after:.1f} s after `make airflow` started")

    assert dag["is_paused"] is True  # new DAGs start paused: nothing runs until asked
    assert {tag["name"] for tag in dag["tags"]} >= {"beatbrief"}
    status, _, body = _request(f"{server.url}/api/v2/importErrors", token)
    assert status == 200 and json.loads(body)["total_entries"] == 0, body[:500]
    assert _request(f"{server.url}/api/v2/dags")[0] == 401  # login required

    status, content_type, page = _request(f"{server.url}/")
    assert status == 200 and content_type.startswith("text/html")
    assert b"<html" in page.lower()

    listening = {
        (conn.laddr.ip, conn.laddr.port)
        for proc in _family(server)
        for conn in proc.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN
    }
    assert listening == {(HOST, server.port)}, (
        f"listening beyond 127.0.0.1:{server.port}: {listening}"
    )

    # A triggered run must reach the LocalExecutor's workers, whose task processes call back
    # into the api-server with JWTs: wrong port or per-process secrets would leave it queued.
    # Trigger at the scheduler's next logical date, so unpausing adds no second run.
    api = f"{server.url}/api/v2/dags/beatbrief_daily"
    run = {"dag_run_id": "make_airflow_test", "logical_date": dag["next_dagrun_logical_date"]}
    assert _request(f"{api}/dagRuns", token, run)[0] == 200
    assert _request(api, token, {"is_paused": False}, method="PATCH")[0] == 200
    started = _wait_for_a_started_task(server, token, f"{api}/dagRuns/make_airflow_test")
    print(f"first task {started['task_id']} {started['state']} on {started['hostname']}")


def _wait_for_a_started_task(server: Server, token: str, run_url: str, timeout_s: float = 120):
    """Poll the run's task instances until one was started by a worker; return it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, _, body = _request(f"{run_url}/taskInstances", token)
        assert status == 200, body[:500]
        for ti in json.loads(body)["task_instances"]:
            # pid and hostname are set by the Execution API when the worker starts the task.
            if ti["pid"] and ti["hostname"] and ti["state"] not in {None, "scheduled", "queued"}:
                return ti
        time.sleep(1)
    pytest.fail(f"no task of the triggered run started within {timeout_s} s:\n{server.log_tail()}")
