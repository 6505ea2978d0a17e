"""Run beatbrief's DAGs through Airflow: environment, in-process daily runs and a local UI.

Airflow reads its configuration from the environment once, when it is first imported, so
everything here sets ``os.environ`` first and imports airflow lazily inside functions.

``python -m beatbrief.airflow_runner serve --home DIR --port N`` (used by ``make airflow``)
starts api-server, scheduler, dag-processor and triggerer bound to 127.0.0.1 only.

The metadata DB and the executor default to SQLite and the LocalExecutor, but a connection
string or executor the user set in the environment is kept (beatbrief.cluster relies on that).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import IO

from beatbrief.config import MIGRATED_MARKER, REPO_ROOT, TIMEZONE, Settings

DAG_ID = "beatbrief_daily"
# the daily DAG's task whose return value is the day's top page (the province roll-up)
BRIEFING_TASK = "province"
DEFAULT_PORT = 8080
HOST = "127.0.0.1"
UI_USER = "admin"
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
# Airflow internals that log at INFO on every run; their warnings and errors still show.
QUIET_NAMESPACES = (
    "airflow.api_fastapi.execution_api=WARNING",
    "airflow.dag_processing=WARNING",
    "airflow.serialization=WARNING",
    "airflow.utils.db=WARNING",
    "alembic=WARNING",
)
# For in-process CLI runs also hide the task runner's bookkeeping (::group::, "Pushing
# xcom ..." with the whole TI repr); task errors and the tasks' own loggers still show. Not
# used for `serve`, where the same setting would thin out the task logs shown in the UI.
RUN_QUIET_NAMESPACES = (
    *QUIET_NAMESPACES,
    "airflow.models=WARNING",
    # "Done. Returned value was: {...}": each task's progress line says it in a few words
    "airflow.task.operators=WARNING",
    "task=WARNING",
    "py.warnings=ERROR",
)
# Deployment settings the user may choose; airflow_env only fills them in when unset.
USER_OWNED = ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__EXECUTOR")
# The values beatbrief filled in (JSON), so that a child process does not take a parent's
# defaults (say the test session's SQLite file) for the user's own settings.
DEFAULTS_VAR = "BEATBRIEF_AIRFLOW_DEFAULTS"
COMPONENTS: dict[str, list[str]] = {
    # The log servers of scheduler and triggerer would bind every interface (host ""), and
    # the api-server reads task logs from the shared local log folder anyway.
    "api-server": ["api-server", "--host", HOST, "--workers", "1"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}


# environment -----------------------------------------------------------------------------------
def airflow_env(
    settings: Settings,
    *,
    dags_folder: Path | None = None,
    port: int = DEFAULT_PORT,
    quiet_tasks: bool = False,
) -> dict[str, str]:
    """Environment that points Airflow at HOME/airflow, the repo's dags/ and 127.0.0.1:port.

    The metadata DB is HOME/airflow/airflow.db and the executor the LocalExecutor unless the
    user set them (USER_OWNED). ``dags_folder`` replaces the repo's dags/ (tests only);
    ``quiet_tasks`` is for in-process runs.
    """
    defaults = airflow_defaults(
        settings, dags_folder=dags_folder, port=port, quiet_tasks=quiet_tasks
    )
    return with_user_settings(defaults, USER_OWNED)


def airflow_defaults(
    settings: Settings,
    *,
    dags_folder: Path | None = None,
    port: int = DEFAULT_PORT,
    quiet_tasks: bool = False,
) -> dict[str, str]:
    """airflow_env before the user's own settings are applied."""
    quiet = RUN_QUIET_NAMESPACES if quiet_tasks else QUIET_NAMESPACES
    home = settings.airflow_home.resolve()
    base_url = f"http://{HOST}:{port}"
    return {
        "BEATBRIEF_HOME": str(settings.home.resolve()),
        "AIRFLOW_HOME": str(home),
        # An AIRFLOW_CONFIG inherited from the shell would point at someone else's airflow.cfg.
        "AIRFLOW_CONFIG": str(home / "airflow.cfg"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str((dags_folder or REPO_ROOT / "dags").resolve()),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # The only local executor in Airflow 3; it forks `parallelism` workers up front, and
        # SQLite takes one writer at a time anyway (the DAG itself runs one task at a time).
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{UI_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(_passwords_file(home)),
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        # Workers reach the Execution API here; the default guesses localhost:8080.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": HOST,
        "AIRFLOW__LOGGING__NAMESPACE_LEVELS": " ".join(quiet),
        # Every UI poll would otherwise print an access-log line.
        "AIRFLOW__LOGGING__UVICORN_LOGGING_LEVEL": "WARNING",
    }


def user_settings() -> dict[str, str]:
    """The Airflow variables in os.environ that the user set, not beatbrief for a parent."""
    try:
        ours = json.loads(os.environ.get(DEFAULTS_VAR) or "{}")
    except ValueError:
        ours = {}
    if not isinstance(ours, dict):
        ours = {}
    return {
        name: value
        for name, value in os.environ.items()
        if name.startswith("AIRFLOW") and value and ours.get(name) != value
    }


def with_user_settings(defaults: dict[str, str], owned: Iterable[str]) -> dict[str, str]:
    """defaults where the user's own value of each owned variable wins; records the rest."""
    names = set(owned)
    user = {name: value for name, value in user_settings().items() if name in names}
    env = {**defaults, **user}
    env[DEFAULTS_VAR] = json.dumps(
        {name: value for name, value in defaults.items() if name not in user}, sort_keys=True
    )
    return env


def _passwords_file(airflow_home: Path) -> Path:
    """Where the simple auth manager keeps the generated UI passwords."""
    return airflow_home / "simple_auth_manager_passwords.json.generated"


def _check_not_configured_elsewhere(env: dict[str, str]) -> None:
    """Fail loudly if airflow was already imported in this process with another home."""
    if "airflow.configuration" not in sys.modules:
        return
    from airflow.configuration import conf

    loaded = {
        "AIRFLOW_HOME": os.path.realpath(sys.modules["airflow.configuration"].AIRFLOW_HOME),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conf.get("database", "sql_alchemy_conn"),
        "AIRFLOW__CORE__DAGS_FOLDER": os.path.realpath(conf.get("core", "dags_folder")),
    }
    wanted = {
        "AIRFLOW_HOME": os.path.realpath(env["AIRFLOW_HOME"]),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
        "AIRFLOW__CORE__DAGS_FOLDER": os.path.realpath(env["AIRFLOW__CORE__DAGS_FOLDER"]),
    }
    if loaded != wanted:
        raise RuntimeError(
            f"airflow was already imported in this process with {loaded}, but beatbrief needs "
            f"{wanted}; Airflow reads its configuration once, so use a fresh process."
        )


def prepare_airflow(
    settings: Settings,
    *,
    dags_folder: Path | None = None,
    port: int = DEFAULT_PORT,
    quiet_tasks: bool = False,
) -> Path:
    """Apply airflow_env to os.environ, then migrate the metadata DB once; return AIRFLOW_HOME."""
    env = airflow_env(settings, dags_folder=dags_folder, port=port, quiet_tasks=quiet_tasks)
    return apply_airflow_env(env)


def apply_airflow_env(env: dict[str, str]) -> Path:
    """Apply env to os.environ, then migrate its metadata DB once; return AIRFLOW_HOME."""
    _check_not_configured_elsewhere(env)
    os.environ.update(env)
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    # One lock per home: `make airflow` and `beatbrief run` may start at the same moment.
    with _locked(home / ".beatbrief-migrate.lock"):
        if not is_migrated(home, conn):
            _migrate(home, conn)
        write_plain_cli_settings(home, env)
    return home


# the settings of the plain `airflow` CLI, in airflow.cfg and an env file (README)
PLAIN_CLI = {"load_examples": "False"}
ENV_FILE = "beatbrief.env"
_CFG_LINE = r"^(?P<key>{key})\s*=.*$"


def write_plain_cli_settings(home: Path, env: dict[str, str]) -> None:
    """Make the plain `airflow` CLI see the project with only AIRFLOW_HOME set: airflow.cfg
    gets the project's dags folder and `load_examples = False` (Airflow writes True), and
    AIRFLOW_HOME/beatbrief.env every setting beatbrief gives Airflow, for `set -a; . <file>`.
    The tasks find BEATBRIEF_HOME from AIRFLOW_HOME (beatbrief.config.default_home)."""
    import re
    import shlex

    cfg = home / "airflow.cfg"
    if cfg.is_file():
        text = cfg.read_text(encoding="utf-8")
        wanted = PLAIN_CLI | {"dags_folder": env["AIRFLOW__CORE__DAGS_FOLDER"]}
        for key, value in wanted.items():
            line = _CFG_LINE.format(key=re.escape(key))
            text = re.sub(line, lambda _m, k=key, v=value: f"{k} = {v}", text, count=1, flags=re.M)
        cfg.write_text(text, encoding="utf-8")
    lines = [f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items())]
    (home / ENV_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on path."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _db_stamp(home: Path, conn: str | None = None) -> str | None:
    """Installed Airflow version and the DB's alembic revision, or None if not migrated.

    ``conn`` is the metadata DB's URL; None means the default HOME/airflow.db, which is read
    with sqlite3 alone. Any other DB is read through SQLAlchemy, and its URL (without the
    password) is part of the stamp.
    """
    if conn is not None and conn != f"sqlite:///{home / 'airflow.db'}":
        return _db_stamp_by_url(conn)
    db = home / "airflow.db"
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return (
        f"apache-airflow-core {version('apache-airflow-core')} revision {row[0]}" if row else None
    )


def _db_stamp_by_url(conn: str) -> str | None:
    """_db_stamp of the metadata DB at the SQLAlchemy URL conn (None if unreachable too)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    url = make_url(conn)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as con:
            row = con.execute(text("SELECT version_num FROM alembic_version")).fetchone()
    except SQLAlchemyError:  # no such table yet, or no such database: migrate (and tell)
        return None
    finally:
        engine.dispose()
    if row is None:
        return None
    where = url.render_as_string(hide_password=True)
    return f"apache-airflow-core {version('apache-airflow-core')} revision {row[0]} in {where}"


def is_migrated(airflow_home: Path, conn: str | None = None) -> bool:
    """Whether the DB at conn (default HOME/airflow.db) was migrated by this Airflow version
    (cheap: no airflow import)."""
    marker = airflow_home / MIGRATED_MARKER
    if not (marker.exists() and (airflow_home / "airflow.cfg").exists()):
        return False
    stamp = _db_stamp(airflow_home, conn)
    return stamp is not None and marker.read_text(encoding="utf-8").strip() == stamp


def _migrate(home: Path, conn: str | None = None) -> None:
    """Create or upgrade the metadata DB and write airflow.cfg; mark the home as migrated."""
    from airflow.configuration import write_default_airflow_configuration_if_needed
    from airflow.utils import db

    # alembic logs through stdlib logging, which the namespace levels do not reach.
    for name in ("alembic", "airflow.utils.db"):
        logging.getLogger(name).setLevel(logging.WARNING)
    db.initdb()  # what `airflow db migrate` does: create or upgrade, then default rows
    # airflow.cfg holds the generated JWT secret and Fernet key. Only the CLI writes it, and
    # four components starting at once would each invent a different secret: the api-server
    # would then reject the scheduler's task tokens.
    write_default_airflow_configuration_if_needed()
    stamp = _db_stamp(home, conn)
    if stamp is None:
        raise RuntimeError(f"airflow DB in {home} has no alembic revision after migration")
    (home / MIGRATED_MARKER).write_text(stamp + "\n", encoding="utf-8")


# daily run -------------------------------------------------------------------------------------
def logical_date_for(as_of: date):
    """The logical date that briefs on as_of: 06:00 Beijing time that day."""
    import pendulum

    return pendulum.datetime(as_of.year, as_of.month, as_of.day, 6, tz=TIMEZONE)


class _OncePerWait(logging.Filter):
    """Let dag.test's "No tasks to run" through once per wait instead of once a second."""

    def __init__(self) -> None:
        super().__init__()
        self._last = ""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith("No tasks to run"):
            return True
        seen, self._last = message == self._last, message
        return not seen


def _quiet_retry_waits() -> None:
    """Install _OncePerWait on dag.test's logger, once per process."""
    logger = logging.getLogger("airflow.sdk.definitions.dag")
    if not any(isinstance(f, _OncePerWait) for f in logger.filters):
        logger.addFilter(_OncePerWait())


def run_daily(settings: Settings, as_of: date, *, dags_folder: Path | None = None) -> int:
    """Run beatbrief_daily for as_of through Airflow's dag.test in this process; 0 on success."""
    prepare_airflow(settings, dags_folder=dags_folder, quiet_tasks=True)
    # Tasks run in this process, and GX logs ~200 INFO lines per context through stdlib
    # logging, whose root Airflow sets to INFO.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    # While a task waits out its retry_delay (1 min in beatbrief_daily), dag.test polls
    # every second and logs the full set of waiting task instances each time.
    _quiet_retry_waits()
    from airflow.dag_processing.dagbag import DagBag

    folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    bag = DagBag(dag_folder=folder)
    for path, error in bag.import_errors.items():
        print(f"import error in {path}:\n{error}", file=sys.stderr)
    dag = bag.dags.get(DAG_ID)
    if dag is None:
        print(f"{DAG_ID} not found in {folder}", file=sys.stderr)
        return 1
    # dag.test replaces an earlier run with the same logical date, so re-runs just work.
    run = dag.test(logical_date=logical_date_for(as_of))
    briefing = briefing_path(settings, as_of, run.run_id)
    if run.state != "success":
        states = task_states(run.run_id)
        print(run_failure(dag, as_of, run.run_id, states), file=sys.stderr)
        if states.get(BRIEFING_TASK) == "success":  # a failed feed still gets its briefing
            print(f"briefing (with a banner naming the failure): {briefing}")
        return 1
    if not briefing.exists():
        print(f"{DAG_ID} {as_of} succeeded but {briefing} does not exist", file=sys.stderr)
        return 1
    print(briefing)
    return 0


def run_failure(dag, as_of: date, run_id: str, states: dict[str, str]) -> str:
    """One line naming the run's first failed task and its error (the `finish` task's verdict
    when it ran, else the tasks' own recorded errors)."""
    from beatbrief.outcome import failed_tasks, failure_line, instance_order

    order = instance_order(list(dag.task_ids), states)
    failed = failed_tasks(states, list(order))
    errors = task_errors(run_id, {key: order[key] for key in failed})
    if states.get("finish") == "failed" and errors.get("finish"):
        return errors["finish"]
    names = _xcom(run_id, "bureaus", "return_value")
    line = failure_line(
        DAG_ID,
        as_of.isoformat(),
        states,
        [key for key in order if key != "finish"],
        errors,
        names if isinstance(names, list) else None,
    )
    return line or f"{DAG_ID} {as_of} failed (run {run_id}), but no task recorded a failure"


def _xcom(run_id: str, task_id: str, key: str, map_index: int | None = None):
    """One XCom value of a task instance of the run (None when there is none)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    query = XComModel.get_many(
        run_id=run_id,
        dag_ids=DAG_ID,
        task_ids=task_id,
        key=key,
        map_indexes=map_index if map_index is not None else -1,
        limit=1,
    )
    with create_session() as session:
        row = session.scalars(query).first()
        return XComModel.deserialize_value(row) if row is not None else None


def task_errors(run_id: str, instances: dict[str, tuple[str, int | None]]) -> dict[str, str]:
    """The error each task instance (key -> task id and map index) recorded when it failed
    (XCom `error`)."""
    from beatbrief.outcome import ERROR_KEY

    errors: dict[str, str] = {}
    for key, (task_id, map_index) in instances.items():
        value = _xcom(run_id, task_id, ERROR_KEY, map_index)
        if isinstance(value, str):
            errors[key] = value
    return errors


def task_states(run_id: str) -> dict[str, str]:
    """The state of every task instance of one beatbrief_daily run, keyed as Airflow's
    task-state API keys them: the task id, or `<task_id>_<map_index>` for a mapped one."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    query = select(TaskInstance.task_id, TaskInstance.map_index, TaskInstance.state).where(
        TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == run_id
    )
    with create_session() as session:
        return {
            (task_id if index < 0 else f"{task_id}_{index}"): str(state or "none")
            for task_id, index, state in session.execute(query)
        }


def briefing_path(settings: Settings, as_of: date, run_id: str) -> Path:
    """The province task's returned path (the day's top page), or where it writes by
    convention."""
    value = _xcom(run_id, BRIEFING_TASK, "return_value")
    return Path(value) if isinstance(value, str) else settings.briefing_dir(as_of) / "index.html"


# local UI --------------------------------------------------------------------------------------
def ui_login(settings: Settings) -> tuple[str, str]:
    """The UI's user and password, generating the password on first use."""
    path = _passwords_file(settings.airflow_home.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.with_name(path.name + ".lock")):
        passwords = json.loads(path.read_text(encoding="utf-8") or "{}") if path.exists() else {}
        if UI_USER not in passwords:
            passwords[UI_USER] = secrets.token_urlsafe(12)
            # The simple auth manager keeps passwords in plain text: owner-only file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(passwords, handle)
    return UI_USER, passwords[UI_USER]


def _port_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn does: connections of a server just stopped linger in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _pump(name: str, stream: IO[bytes]) -> None:
    """Copy a component's output to ours, each line prefixed with the component."""
    for raw in stream:
        sys.stdout.write(f"{name:13} | {raw.decode('utf-8', 'replace').rstrip()}\n")
        sys.stdout.flush()


def _healthy(port: int, components: Iterable[str] = ()) -> bool:
    """Whether the api-server answers its health endpoint, reporting each of components
    (metadatabase, scheduler, dag_processor, triggerer) healthy."""
    url = f"http://{HOST}:{port}/api/v2/monitor/health"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status != 200:
                return False
            health = json.loads(response.read() or b"{}") if components else {}
    except (OSError, urllib.error.URLError, ValueError):
        return False
    return all((health.get(name) or {}).get("status") == "healthy" for name in components)


def _alive(proc) -> bool:
    """Whether a psutil.Process still runs; a zombie counts as gone (and is reaped if ours)."""
    import psutil

    try:
        if proc.status() != psutil.STATUS_ZOMBIE:
            return True
    except psutil.NoSuchProcess:
        return False
    # Detached components are orphans, and init does not always reap them promptly.
    with contextlib.suppress(psutil.Error, ChildProcessError):
        proc.wait(timeout=0)
    return False


def _wait(procs: list, seconds: float) -> list:
    """Wait up to seconds for the psutil.Processes procs to exit; return those still running."""
    deadline = time.monotonic() + seconds
    running = [proc for proc in procs if _alive(proc)]
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = [proc for proc in running if _alive(proc)]
    return running


def _terminate(leaders: list, family: list, *, settle_s: float, grace_s: float = 20.0) -> list:
    """Stop the leaders (psutil.Processes) as Ctrl-C does, then harder; then kill whatever is
    left of family (everything they started). Returns the processes that had to be killed."""
    import psutil  # an Airflow dependency

    running = _wait(leaders, settle_s)
    # SIGINT first, as Ctrl-C: the scheduler's LocalExecutor workers ignore it and the scheduler
    # shuts them down in order (a SIGTERM to everyone left the scheduler and a worker hanging).
    for signum, wait_s in ((signal.SIGINT, grace_s), (signal.SIGTERM, 10.0)):
        for proc in running:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signum)
        running = _wait(running, wait_s)
    survivors = _wait([*family, *running], 0.5)
    for proc in survivors:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    _wait(survivors, 5.0)
    return survivors


def _stop(procs: dict[str, subprocess.Popen[bytes]], grace_s: float = 20.0) -> None:
    """Stop the components as Ctrl-C does, then harder; reap whatever they started."""
    import psutil  # an Airflow dependency

    # A second signal (uv forwards the one it got; Ctrl-C reaches the whole group) must not
    # cut the shutdown short and orphan a component.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    family = psutil.Process().children(recursive=True)
    leaders = []
    for proc in procs.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.poll() is None:
                leaders.append(psutil.Process(proc.pid))
    # After Ctrl-C the components got SIGINT from the terminal already, and a second one makes
    # the triggerer and uvicorn abort instead of shutting down cleanly: give them a moment.
    _terminate(leaders, family, settle_s=3.0, grace_s=grace_s)
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1)


def _start() -> dict[str, subprocess.Popen[bytes]]:
    """Start every Airflow component with its output prefixed onto ours."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name, args in COMPONENTS.items():
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        procs[name] = proc
        threading.Thread(target=_pump, args=(name, proc.stdout), daemon=True).start()
    return procs


def _supervise(procs: dict[str, subprocess.Popen[bytes]], port: int, stop: threading.Event) -> int:
    """Wait until stop is set (0) or a component dies (1); announce when the UI answers."""
    announced = False
    while not stop.wait(1.0):
        dead = [(name, p.returncode) for name, p in procs.items() if p.poll() is not None]
        # Ctrl-C reaches the components too, and one may exit before our own handler runs.
        if dead and not stop.wait(1.0):
            print(f"{dead[0][0]} exited with {dead[0][1]}; stopping the others", file=sys.stderr)
            return 1
        if not announced and not stop.is_set() and _healthy(port):
            print(f"Airflow is up: http://{HOST}:{port}", flush=True)
            announced = True
    return 0


def serve(settings: Settings, port: int) -> int:
    """Run Airflow's four components on 127.0.0.1:port with the project's DAGs until stopped."""
    if not _port_free(port):
        print(
            f"port {port} on {HOST} is in use; pick another with AIRFLOW_PORT=...", file=sys.stderr
        )
        return 1
    home = prepare_airflow(settings, port=port)
    user, password = ui_login(settings)
    print(f"Airflow home {home}, DAGs from {os.environ['AIRFLOW__CORE__DAGS_FOLDER']}")
    print(f"Airflow UI on http://{HOST}:{port}  log in as {user} / {password}")
    print(f"  (password kept in {_passwords_file(home)})")
    print(f"New DAGs start paused: unpause {DAG_ID} or trigger it in the UI. Ctrl-C stops.")
    sys.stdout.flush()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        procs = _start()
        return _supervise(procs, port, stop)
    finally:
        _stop(procs)


def main(argv: list[str] | None = None) -> int:
    """``python -m beatbrief.airflow_runner serve --home DIR --port N``."""
    parser = argparse.ArgumentParser(prog="python -m beatbrief.airflow_runner")
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser(
        "serve", help="Airflow UI and scheduler on 127.0.0.1 with beatbrief's DAGs"
    )
    srv.add_argument("--home", default=None, help="data root (default: $BEATBRIEF_HOME or ./var)")
    srv.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    return serve(Settings.from_env(args.home), args.port)


if __name__ == "__main__":
    sys.exit(main())
