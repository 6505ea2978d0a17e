"""Unit checks of beatbrief.airflow_runner: environment, one-time migration, login, run_daily."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pendulum
import pytest

from beatbrief import airflow_runner as runner
from beatbrief.config import REPO_ROOT, Settings, as_of_date


def _python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter, where airflow is not imported yet."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """os.environ without the session's Airflow settings, and HOME moved into tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "BEATBRIEF_"))}
    (tmp_path / "user-home").mkdir(exist_ok=True)
    return {**env, "HOME": str(tmp_path / "user-home")}


# airflow_env -----------------------------------------------------------------------------------
def test_airflow_env_puts_everything_under_home_airflow(tmp_path: Path):
    env = runner.airflow_env(Settings(home=tmp_path), port=8123)
    home = tmp_path / "airflow"
    assert all(isinstance(v, str) for v in env.values())
    assert env["AIRFLOW_HOME"] == str(home)
    assert env["AIRFLOW_CONFIG"] == str(home / "airflow.cfg")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{home}/airflow.db"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO_ROOT / "dags")
    assert env["BEATBRIEF_HOME"] == str(tmp_path)
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__UNIT_TEST_MODE"] == "False"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("SimpleAuthManager")
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8123"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8123/execution/"
    assert "task=WARNING" not in env["AIRFLOW__LOGGING__NAMESPACE_LEVELS"]


def test_airflow_env_resolves_a_relative_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    env = runner.airflow_env(Settings(home=Path("var")))
    # SQLite URLs must be absolute, and tasks may run from another working directory.
    assert (
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path}/var/airflow/airflow.db"
    )
    assert env["BEATBRIEF_HOME"] == str(tmp_path / "var")


def test_airflow_env_test_overrides(tmp_path: Path):
    env = runner.airflow_env(Settings(home=tmp_path), dags_folder=tmp_path / "d", quiet_tasks=True)
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(tmp_path / "d")
    assert "task=WARNING" in env["AIRFLOW__LOGGING__NAMESPACE_LEVELS"]


PG = "postgresql+psycopg2://airflow:secret@db.example:5432/airflow"


def test_airflow_env_keeps_a_connection_and_executor_the_user_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", PG)
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("AIRFLOW__CELERY__BROKER_URL", "redis://db.example:6379/3")
    env = runner.airflow_env(Settings(home=tmp_path))
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == PG
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    # Never set by airflow_env, so applying it keeps the user's broker and result backend.
    assert "AIRFLOW__CELERY__BROKER_URL" not in env
    assert "AIRFLOW__CELERY__RESULT_BACKEND" not in env
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")  # the home still follows --home


def test_airflow_env_does_not_take_a_parents_defaults_for_the_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # `beatbrief run --home B` started from a process that applied airflow_env for home A
    # (the test session, `make airflow`) gets B's own SQLite DB, not A's.
    for name, value in runner.airflow_env(Settings(home=tmp_path / "a")).items():
        monkeypatch.setenv(name, value)
    env = runner.airflow_env(Settings(home=tmp_path / "b"))
    assert (
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path}/b/airflow/airflow.db"
    )
    # ... but a value the user changed after that is the user's again.
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    assert runner.airflow_env(Settings(home=tmp_path / "b"))["AIRFLOW__CORE__EXECUTOR"] == (
        "CeleryExecutor"
    )


def test_logical_date_briefs_on_the_given_day():
    assert runner.logical_date_for(date(2026, 11, 27)) == pendulum.datetime(
        2026, 11, 26, 22, tz="UTC"
    )
    for offset in range(0, 800, 7):
        day = date(2025, 1, 1) + timedelta(days=offset)
        assert as_of_date(runner.logical_date_for(day)) == day


# prepare_airflow -------------------------------------------------------------------------------
PREPARE = """
    import json, sys, time
    from pathlib import Path
    from beatbrief.airflow_runner import prepare_airflow
    from beatbrief.config import Settings
    start = time.perf_counter()
    prepare_airflow(Settings(home=Path(sys.argv[1] if len(sys.argv) > 1 else "bb")))
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "airflow_imported": "airflow" in sys.modules}))
"""


def test_prepare_airflow_migrates_once_under_home(tmp_path: Path):
    env = _clean_env(tmp_path)
    first = _python(PREPARE, env, tmp_path)
    assert first.returncode == 0, first.stderr
    home = tmp_path / "bb" / "airflow"
    assert (home / "airflow.db").is_file()
    assert runner.is_migrated(home)
    # airflow.cfg carries the generated JWT secret and Fernet key: owner-only.
    assert stat.S_IMODE((home / "airflow.cfg").stat().st_mode) == 0o600
    assert "jwt_secret = " in (home / "airflow.cfg").read_text()
    assert not (tmp_path / "user-home" / "airflow").exists()
    db_mtime = (home / "airflow.db").stat().st_mtime_ns

    second = _python(PREPARE, env, tmp_path)
    assert second.returncode == 0, second.stderr
    probe = json.loads(second.stdout.strip().splitlines()[-1])
    # Already migrated: a sqlite3 look-up, without even importing airflow.
    assert probe["airflow_imported"] is False
    assert probe["seconds"] < 1.0
    assert (home / "airflow.db").stat().st_mtime_ns == db_mtime


def test_airflow_env_alone_does_not_import_airflow(tmp_path: Path):
    code = """
        import sys
        from beatbrief.airflow_runner import airflow_env
        from beatbrief.config import Settings
        from pathlib import Path
        airflow_env(Settings(home=Path("x")))
        print("airflow" in sys.modules)
    """
    result = _python(code, _clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_prepare_airflow_is_idempotent_in_process(airflow_db: Path, beatbrief_home: Path):
    assert airflow_db == beatbrief_home / "airflow"
    marker = airflow_db / runner.MIGRATED_MARKER
    before = marker.stat().st_mtime_ns
    assert runner.prepare_airflow(Settings(home=beatbrief_home)) == airflow_db
    assert marker.stat().st_mtime_ns == before
    assert os.environ["AIRFLOW_HOME"] == str(airflow_db)


def test_prepare_airflow_refuses_a_second_home_in_one_process(airflow_db: Path, tmp_path: Path):
    import airflow  # noqa: F401  (the point: airflow is configured already)

    with pytest.raises(RuntimeError, match="fresh process"):
        runner.prepare_airflow(Settings(home=tmp_path))


def test_is_migrated_compares_the_stamp(tmp_path: Path):
    assert not runner.is_migrated(tmp_path)
    with sqlite3.connect(tmp_path / "airflow.db") as con:
        con.execute("CREATE TABLE alembic_version (version_num TEXT)")
        con.execute("INSERT INTO alembic_version VALUES ('abc123')")
    con.close()
    (tmp_path / "airflow.cfg").write_text("")
    stamp = runner._db_stamp(tmp_path)
    assert stamp is not None and stamp.endswith("revision abc123")
    (tmp_path / runner.MIGRATED_MARKER).write_text(stamp + "\n")
    assert runner.is_migrated(tmp_path)
    (tmp_path / runner.MIGRATED_MARKER).write_text(stamp.replace("abc123", "older"))
    assert not runner.is_migrated(tmp_path)


def test_is_migrated_reads_a_db_given_by_url(tmp_path: Path):
    # A DB other than HOME/airflow.db (PostgreSQL in `make cluster`) is read by its URL, and
    # its URL, without the password, is part of the stamp.
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert not runner.is_migrated(tmp_path, url)
    with sqlite3.connect(tmp_path / "elsewhere.db") as con:
        con.execute("CREATE TABLE alembic_version (version_num TEXT)")
        con.execute("INSERT INTO alembic_version VALUES ('abc123')")
    con.close()
    (tmp_path / "airflow.cfg").write_text("")
    stamp = runner._db_stamp(tmp_path, url)
    assert stamp is not None and stamp.endswith(f"revision abc123 in {url}")
    assert runner._db_stamp(tmp_path) is None  # the default DB does not exist
    (tmp_path / runner.MIGRATED_MARKER).write_text(stamp + "\n")
    assert runner.is_migrated(tmp_path, url)
    assert not runner.is_migrated(tmp_path)
    unreachable = "postgresql+psycopg2://postgres:pw@127.0.0.1:1/none"
    assert runner._db_stamp(tmp_path, unreachable) is None  # so it is migrated, and fails loudly


# UI login and serve ----------------------------------------------------------------------------
def test_ui_login_generates_one_private_password(tmp_path: Path):
    settings = Settings(home=tmp_path)
    user, password = runner.ui_login(settings)
    assert (user, password) == runner.ui_login(settings)
    path = tmp_path / "airflow" / "simple_auth_manager_passwords.json.generated"
    assert json.loads(path.read_text()) == {user: password}  # the simple auth manager's format
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(password) >= 16


def test_serve_refuses_a_busy_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert runner.main(["serve", "--home", str(tmp_path), "--port", str(port)]) == 1
    assert "in use" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# run_daily against a throwaway DAG (the real DAG's end-to-end test lives elsewhere) ------------
TOY_DAG = """
import os
from pathlib import Path

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

from beatbrief.outcome import record_error


@dag(
    dag_id="beatbrief_daily",
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    default_args={"retries": 0, "on_failure_callback": record_error},
)
def toy():
    @task
    def ingest(**context) -> str:
        from beatbrief.config import as_of_date

        if (Path(os.environ["BEATBRIEF_HOME"]) / "FAIL").exists():
            raise RuntimeError("toy ingest fails on purpose")
        return as_of_date(context["logical_date"]).isoformat()

    @task
    def province(day: str) -> str:
        page = Path(os.environ["BEATBRIEF_HOME"]) / "toy" / day / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("briefing")
        return str(page)

    province(ingest())


toy()
"""
RUN_THREE_TIMES = """
    import json, sys, time
    from datetime import date
    from pathlib import Path
    from beatbrief.airflow_runner import run_daily
    from beatbrief.config import Settings
    home, dags = Path("bb"), Path("dags")
    rcs, times = [], []
    for attempt in range(3):
        if attempt == 2:
            (home / "FAIL").touch()
        start = time.perf_counter()
        rcs.append(run_daily(Settings(home=home), date(2026, 11, 27), dags_folder=dags))
        times.append(round(time.perf_counter() - start, 2))
    print(json.dumps({"rcs": rcs, "seconds": times}))
"""


def test_run_daily_runs_reruns_and_reports_failures(tmp_path: Path):
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "toy.py").write_text(TOY_DAG)
    result = _python(RUN_THREE_TIMES, _clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["rcs"] == [0, 0, 1], result.stderr[-3000:]
    briefing = str(tmp_path / "bb" / "toy" / "2026-11-27" / "index.html")
    assert result.stdout.splitlines().count(briefing) == 2  # the province task's XCom, per success
    # one line names the failed task, its error and what did not run because of it
    assert (
        "beatbrief_daily 2026-11-27 failed: ingest: RuntimeError: toy ingest fails on purpose "
        "(not run: province)"
    ) in result.stderr.splitlines()
    with sqlite3.connect(tmp_path / "bb" / "airflow" / "airflow.db") as con:
        runs = con.execute("SELECT count(*) FROM dag_run WHERE dag_id = 'beatbrief_daily'")
        assert runs.fetchone()[0] == 1  # each re-run replaced the one before
    con.close()


# the plain airflow CLI -------------------------------------------------------------------------
def test_the_plain_airflow_cli_sees_the_project_with_only_airflow_home(tmp_path: Path):
    env = _clean_env(tmp_path)
    prepared = _python(
        "from pathlib import Path\n"
        "from beatbrief.airflow_runner import prepare_airflow\n"
        "from beatbrief.config import Settings\n"
        "prepare_airflow(Settings(home=Path('bb')))\n",
        env,
        tmp_path,
    )
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    airflow_home = tmp_path / "bb" / "airflow"
    cfg = (airflow_home / "airflow.cfg").read_text(encoding="utf-8")
    assert re.search(r"^load_examples = False$", cfg, re.M)
    assert re.search(rf"^dags_folder = {re.escape(str(REPO_ROOT / 'dags'))}$", cfg, re.M)
    assert "export BEATBRIEF_HOME=" in (airflow_home / "beatbrief.env").read_text()
    # as the Airflow docs say: only AIRFLOW_HOME, from anywhere
    plain = {"PATH": os.environ["PATH"], "HOME": env["HOME"], "AIRFLOW_HOME": str(airflow_home)}
    listed = subprocess.run(
        # --local: parse the dags folder (without, the list shows what a dag-processor or a
        # run has serialized into the metadata DB)
        [str(Path(sys.executable).parent / "airflow"), "dags", "list", "--local", "-o", "plain"],
        capture_output=True,
        text=True,
        env=plain,
        cwd=tmp_path / "user-home",
        timeout=300,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    dags = {line.split()[0] for line in listed.stdout.splitlines() if line.startswith("beat")}
    dags |= {line.split()[0] for line in listed.stdout.splitlines() if line.startswith("example")}
    assert {"beatbrief_daily", "beatbrief_weekly"} <= dags
    assert not [d for d in dags if d.startswith("example_")], sorted(dags)
    # and a task run that way finds its data root from AIRFLOW_HOME
    found = _python(
        "from beatbrief.config import Settings\nprint(Settings.from_env().home.resolve())",
        plain | {"PYTHONPATH": str(REPO_ROOT)},
        tmp_path / "user-home",
    )
    assert found.stdout.strip() == str((tmp_path / "bb").resolve()), found.stderr[-2000:]
