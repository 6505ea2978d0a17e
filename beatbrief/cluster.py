"""A detached Airflow cluster on the CeleryExecutor: PostgreSQL metadata DB, Redis broker,
api-server, scheduler, dag-processor, triggerer and N Celery workers, all on 127.0.0.1.

``python -m beatbrief.cluster start --home DIR --port N --workers N`` (``make cluster``)
starts the components in their own sessions, writes a PID file and a log per component to
HOME/airflow/cluster, waits until the api-server reports every component healthy and every
worker is ready, and returns. ``python -m beatbrief.cluster stop --home DIR``
(``make cluster-stop``) stops exactly those processes, scheduler first and api-server last,
cleanly and then harder.

Every Airflow setting the user set in the environment wins over the cluster's defaults (the
metadata DB, broker, result backend, executor, secrets, ...); see beatbrief.airflow_runner.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from beatbrief.airflow_runner import (
    COMPONENTS,
    DAG_ID,
    DEFAULT_PORT,
    HOST,
    _alive,
    _healthy,
    _locked,
    _passwords_file,
    _port_free,
    _terminate,
    airflow_defaults,
    apply_airflow_env,
    ui_login,
    user_settings,
    with_user_settings,
)
from beatbrief.config import Settings
from beatbrief.services import POSTGRES_PORT, POSTGRES_USER, REDIS_PORT

DEFAULT_WORKERS = 2
DEFAULT_DB = "beatbrief_airflow"
# Caps the tasks that write one bureau's data at a time, cluster-wide.
POOL = "beatbrief_bureaus"
STARTUP_TIMEOUT_S = 300
HEALTH = ("metadatabase", "scheduler", "dag_processor", "triggerer")
# Set on every component, so that `stop` finds processes that left their group and parent.
MARK_VAR = "BEATBRIEF_CLUSTER"
# What follows --home and --port, on 127.0.0.1 (as for make airflow): every other setting the
# user made in the environment wins over the cluster's defaults.
BOUND = frozenset(
    {
        "AIRFLOW_HOME",
        "AIRFLOW_CONFIG",
        "AIRFLOW__CORE__DAGS_FOLDER",
        "AIRFLOW__CORE__PLUGINS_FOLDER",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
        "AIRFLOW__API__HOST",
        "AIRFLOW__API__PORT",
        "AIRFLOW__API__BASE_URL",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST",
    }
)
# Stop order: nothing new is scheduled, then the workers finish their tasks (which report to
# the api-server), then the api-server goes. The triggerer, which takes 10 s to clean up its
# triggers, is asked first and waited for last.
FIRST, LAST, EARLY = ("scheduler", "dag-processor"), ("api-server",), ("triggerer",)


def cluster_dir(settings: Settings) -> Path:
    """Where the cluster keeps its PID files, logs and secrets: HOME/airflow/cluster."""
    return settings.airflow_home.resolve() / "cluster"


def worker_names(workers: int) -> list[str]:
    """w1, w2, ...: each worker's Celery node is <name>@<host>."""
    return [f"w{i}" for i in range(1, workers + 1)]


def components(workers: int) -> dict[str, list[str]]:
    """Airflow CLI arguments of every component: make airflow's four, then the workers."""
    found = dict(COMPONENTS)
    for name in worker_names(workers):
        # Without --skip-serve-logs each worker's log server binds every interface on 8793;
        # the api-server reads the task logs from the shared local log folder anyway.
        found[f"worker-{name}"] = ["celery", "worker", "--concurrency", "1"]
        found[f"worker-{name}"] += ["--celery-hostname", f"{name}@%h", "--skip-serve-logs"]
    return found


# environment -----------------------------------------------------------------------------------
def _secrets(folder: Path) -> dict[str, str]:
    """JWT secret, API secret key and Fernet key, generated once into an owner-only file."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "secrets.json"
    with _locked(folder / ".secrets.lock"):
        if not path.exists():
            values = {
                # >= 64 bytes, else PyJWT warns that the HMAC key is short for SHA512
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
                "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            }
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(values, handle)
        return json.loads(path.read_text(encoding="utf-8"))


def cluster_env(
    settings: Settings,
    *,
    port: int = DEFAULT_PORT,
    workers: int = DEFAULT_WORKERS,
    db: str = DEFAULT_DB,
    redis_db: int = 0,
) -> dict[str, str]:
    """make airflow's environment on the CeleryExecutor, PostgreSQL db and Redis redis_db;
    the user's own Airflow settings win over every default set here, except BOUND ones."""
    user = user_settings()
    conn = user.get(
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        f"postgresql+psycopg2://{POSTGRES_USER}@{HOST}:{POSTGRES_PORT}/{db}",
    )
    cluster = {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(workers),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{HOST}:{REDIS_PORT}/{redis_db}",
        # Celery's task states, beside Airflow's own tables (Airflow's default, spelled out).
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{conn}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
        # The default 5 s can keep a worker slot busy that long after each task.
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
        # The scheduler signs task tokens that the api-server checks: the same everywhere.
        **_secrets(cluster_dir(settings)),
    }
    defaults = {**airflow_defaults(settings, port=port), **cluster}
    env = with_user_settings(defaults, [name for name in defaults if name not in BOUND])
    env[MARK_VAR] = str(cluster_dir(settings))
    return env


def _address(url: str, default_port: int) -> tuple[str, int]:
    """Host and port of a database or broker URL."""
    parts = urllib.parse.urlsplit(url.removeprefix("db+"))
    return parts.hostname or HOST, parts.port or default_port


def _unreachable(env: dict[str, str]) -> list[str]:
    """The metadata DB and broker URLs (without passwords) that nothing listens at."""
    missing = []
    for name, default_port in (
        ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", POSTGRES_PORT),
        ("AIRFLOW__CELERY__BROKER_URL", REDIS_PORT),
    ):
        host, port = _address(env[name], default_port)
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            missing.append(f"{name} ({host}:{port})")
    return missing


def ensure_database(conn: str) -> bool:
    """Create the PostgreSQL database of the SQLAlchemy URL conn if missing; True if created."""
    from sqlalchemy.engine import make_url

    url = make_url(conn)
    if url.get_backend_name() != "postgresql" or not url.database:
        return False
    import psycopg2
    from psycopg2 import sql

    params = {"host": url.host, "port": url.port, "user": url.username, "password": url.password}
    params = {key: value for key, value in params.items() if value is not None}
    con = psycopg2.connect(dbname="postgres", connect_timeout=10, **params)
    try:
        con.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with con.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", [url.database])
            if cur.fetchone() is not None:
                return False
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(url.database)))
            return True
    finally:
        con.close()


# processes -------------------------------------------------------------------------------------
def _spawn(name: str, args: list[str], folder: Path) -> subprocess.Popen[bytes]:
    """Start one component in its own session, logging to folder/<name>.log; write its PID."""
    import psutil

    with open(folder / f"{name}.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its PID is its process group: `stop` signals exactly it
        )
    # The start time guards against a recycled PID.
    created = psutil.Process(proc.pid).create_time()
    (folder / f"{name}.pid").write_text(f"{proc.pid} {created}\n", encoding="utf-8")
    return proc


def _leaders(folder: Path) -> dict[str, object]:
    """Component name -> psutil.Process of every PID file that names a live process."""
    import psutil

    found = {}
    for pid_file in sorted(folder.glob("*.pid")):
        with contextlib.suppress(ValueError, psutil.Error):
            pid, created = pid_file.read_text(encoding="utf-8").split()
            proc = psutil.Process(int(pid))
            if abs(proc.create_time() - float(created)) < 1.0 and (
                proc.status() != psutil.STATUS_ZOMBIE
            ):
                found[pid_file.stem] = proc
    return found


def _family(leaders: list) -> list:
    """The leaders, their descendants and the other members of their process groups."""
    import psutil

    found = {proc.pid: proc for proc in leaders}
    groups = {proc.pid for proc in leaders}
    for proc in leaders:
        with contextlib.suppress(psutil.Error):
            found.update((child.pid, child) for child in proc.children(recursive=True))
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) in groups:
                found.setdefault(proc.pid, proc)
    return list(found.values())


def _marked(folder: Path) -> list:
    """Processes, other than ours, whose environment marks them as this cluster's."""
    import psutil

    ours = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.pid not in ours and proc.environ().get(MARK_VAR) == str(folder):
                found.append(proc)
    return found


def _worker_ready(folder: Path, name: str) -> bool:
    """Whether the worker's log says its Celery node <name>@<host> is ready."""
    log = folder / f"worker-{name}.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return re.search(rf"\b{re.escape(name)}@\S+ ready\.", text) is not None


def _tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log."""
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _wait_ready(
    procs: dict[str, subprocess.Popen[bytes]],
    pools: subprocess.Popen[bytes],
    folder: Path,
    port: int,
    workers: int,
) -> str | None:
    """Wait until every component is healthy, every worker ready and the pool set; None on
    success, else what went wrong (with the log's tail)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    waiting = ["api-server", "pool", *worker_names(workers)]
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                log = folder / f"{name}.log"
                return f"{name} exited with {proc.returncode}; {log}:\n{_tail(log)}"
        if pools.poll() not in (None, 0):
            log = folder / "pools.log"
            return f"`airflow pools set` exited with {pools.returncode}:\n{_tail(log)}"
        ready = {"api-server": _healthy(port, HEALTH), "pool": pools.poll() == 0}
        ready.update((name, _worker_ready(folder, name)) for name in worker_names(workers))
        waiting = [name for name, is_ready in ready.items() if not is_ready]
        if not waiting:
            return None
        time.sleep(1.0)
    return f"not ready within {STARTUP_TIMEOUT_S} s: {', '.join(waiting)} (logs in {folder})"


# start and stop --------------------------------------------------------------------------------
def start(
    settings: Settings,
    *,
    port: int = DEFAULT_PORT,
    workers: int = DEFAULT_WORKERS,
    db: str = DEFAULT_DB,
    redis_db: int = 0,
) -> int:
    """Start the cluster detached and wait until it is ready; 0 on success."""
    began = time.monotonic()
    folder = cluster_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    running = _leaders(folder)
    if running:
        print(
            f"a cluster already runs under {settings.home} ({', '.join(running)}): "
            "`make cluster-stop` first",
            file=sys.stderr,
        )
        return 1
    if workers < 1:
        print("CLUSTER_WORKERS must be at least 1", file=sys.stderr)
        return 1
    if not _port_free(port):
        print(
            f"port {port} on {HOST} is in use; pick another with AIRFLOW_PORT=...", file=sys.stderr
        )
        return 1
    env = cluster_env(settings, port=port, workers=workers, db=db, redis_db=redis_db)
    missing = _unreachable(env)
    if missing:
        print(
            f"nothing answers at {' and '.join(missing)}: `make services` starts PostgreSQL "
            f"and Redis on {HOST}",
            file=sys.stderr,
        )
        return 1
    conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    if ensure_database(conn):
        print(f"created the database of {_safe(conn)}")
    home = apply_airflow_env(env)  # migrates once per DB and Airflow version
    user, password = ui_login(settings)
    with open(folder / "pools.log", "wb") as log:
        pools = subprocess.Popen(
            [sys.executable, "-m", "airflow", "pools", "set", POOL, str(workers)]
            + ["Caps the tasks writing bureau data at once"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, args in components(workers).items():
            procs[name] = _spawn(name, args, folder)
        problem = _wait_ready(procs, pools, folder, port, workers)
    except BaseException:  # Ctrl-C while waiting, say: leave nothing running
        stop(settings)
        raise
    finally:
        if pools.poll() is None:  # startup failed before the pool was set
            pools.kill()
        pools.wait()
    if problem is not None:
        print(f"the cluster did not come up: {problem}", file=sys.stderr)
        stop(settings)
        return 1
    host = socket.gethostname()
    nodes = ", ".join(f"{name}@{host}" for name in worker_names(workers))
    print(f"Celery cluster up in {time.monotonic() - began:.0f} s, Airflow home {home}")
    print(f"Airflow UI on http://{HOST}:{port}  log in as {user} / {password}")
    print(f"  (password kept in {_passwords_file(home)})")
    print(f"  metadata DB {_safe(conn)}, broker {_safe(env['AIRFLOW__CELERY__BROKER_URL'])}")
    print(f"  workers {nodes} (1 task at a time each); pool {POOL}: {workers} slots")
    print(f"  logs and PID files in {folder}")
    print(f"New DAGs start paused: unpause {DAG_ID} or trigger it in the UI.")
    print("Stop with `make cluster-stop`.")
    return 0


def _safe(url: str) -> str:
    """url without its password."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def stop(settings: Settings, grace_s: float = 20.0) -> int:
    """Stop every process the cluster under settings.home started; 0 unless one outlived
    SIGKILL."""
    import psutil

    began = time.monotonic()
    folder = cluster_dir(settings)
    leaders = _leaders(folder) if folder.exists() else {}
    early = [leaders.pop(name) for name in EARLY if name in leaders]
    early_family = _family(early)
    for proc in early:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGINT)
    workers = tuple(name for name in leaders if name.startswith("worker-"))
    killed = []
    for stage in (FIRST, workers, LAST):
        procs = [leaders.pop(name) for name in stage if name in leaders]
        if procs:
            killed += _terminate(procs, _family(procs), settle_s=0.0, grace_s=grace_s)
    # SIGINT again only if it outlives the grace: a second one makes it abort its clean-up.
    killed += _terminate(early, early_family, settle_s=grace_s, grace_s=grace_s)
    if leaders:  # a PID file of a component this version does not know
        procs = list(leaders.values())
        killed += _terminate(procs, _family(procs), settle_s=0.0, grace_s=grace_s)
    # Processes that left both their parent and their group (task runners, say).
    killed += _terminate([], _marked(folder), settle_s=0.0, grace_s=0.0) if folder.exists() else []
    for pid_file in folder.glob("*.pid") if folder.exists() else []:
        pid_file.unlink()
    took = time.monotonic() - began
    report = f"cluster under {settings.home} stopped in {took:.0f} s"
    if killed:
        report += f"; killed: {', '.join(sorted({_name(proc) for proc in killed}))}"
    print(report)
    left = [proc for proc in _marked(folder) if _alive(proc)] if folder.exists() else []
    if left:
        print(f"still running: {', '.join(_name(proc) for proc in left)}", file=sys.stderr)
        return 1
    return 0


def _name(proc) -> str:
    """A short description of a psutil.Process, for the stop report."""
    try:
        return f"{proc.pid} {' '.join(proc.cmdline())[:80]}"
    except Exception:  # gone by now
        return str(proc.pid)


def main(argv: list[str] | None = None) -> int:
    """``python -m beatbrief.cluster {start,stop} --home DIR [...]``."""
    parser = argparse.ArgumentParser(prog="python -m beatbrief.cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("start", help="start the Celery cluster detached, wait until ready")
    down = sub.add_parser("stop", help="stop what `start` started")
    for command in (up, down):
        command.add_argument("--home", default=None, help="data root (default: $BEATBRIEF_HOME)")
    up.add_argument("--port", type=int, default=DEFAULT_PORT)
    up.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    up.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL database (created if missing)")
    up.add_argument("--redis-db", type=int, default=0, help="Redis database index of the broker")
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.home)
    if args.command == "stop":
        # Ignore a second Ctrl-C or make's SIGTERM: stopping half-way would orphan components.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        return stop(settings)
    return start(settings, port=args.port, workers=args.workers, db=args.db, redis_db=args.redis_db)


if __name__ == "__main__":
    sys.exit(main())
