"""Unit checks of beatbrief.cluster and beatbrief.services (no servers needed; the cluster
itself runs in tests/test_celery.py)."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from beatbrief import cluster, services
from beatbrief.airflow_runner import airflow_env
from beatbrief.config import Settings


def test_cluster_env_defaults_to_celery_postgres_and_redis(tmp_path: Path):
    env = cluster.cluster_env(Settings(home=tmp_path), port=8123, workers=3, db="d", redis_db=4)
    pg = "postgresql+psycopg2://postgres@127.0.0.1:5432/d"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == pg
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == f"db+{pg}"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/4"
    assert env["AIRFLOW__CORE__PARALLELISM"] == "3"
    assert env["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] == "1"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8123/execution/"
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")


def test_cluster_secrets_are_made_once_per_home_in_an_owner_only_file(tmp_path: Path):
    names = (
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__CORE__FERNET_KEY",
    )
    first = cluster.cluster_env(Settings(home=tmp_path))
    again = cluster.cluster_env(Settings(home=tmp_path), port=9000, workers=5)
    other = cluster.cluster_env(Settings(home=tmp_path / "other"))
    for name in names:
        assert first[name] == again[name] != other[name]
    assert len(first["AIRFLOW__API_AUTH__JWT_SECRET"]) >= 64  # PyJWT warns below 64 bytes
    path = tmp_path / "airflow" / "cluster" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    from cryptography.fernet import Fernet  # an Airflow dependency

    Fernet(first["AIRFLOW__CORE__FERNET_KEY"])  # a valid key


def test_cluster_env_lets_the_users_settings_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    conn = "postgresql+psycopg2://airflow:pw@db.example:5432/prod"
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", conn)
    monkeypatch.setenv("AIRFLOW__CELERY__BROKER_URL", "redis://:pw@broker.example:6379/2")
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "shared-by-every-host")
    monkeypatch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "5")
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "True")
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "elsewhere"))  # follows --home instead
    env = cluster.cluster_env(Settings(home=tmp_path))
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "True"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == conn
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == f"db+{conn}"  # follows the user's DB
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://:pw@broker.example:6379/2"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "shared-by-every-host"
    assert env["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] == "5"
    assert cluster._safe(conn) == "postgresql+psycopg2://airflow:***@db.example:5432/prod"


def test_cluster_env_overrides_what_a_parent_filled_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The test session (or `make airflow`) put SQLite and the LocalExecutor into os.environ.
    for name, value in airflow_env(Settings(home=tmp_path / "session")).items():
        monkeypatch.setenv(name, value)
    env = cluster.cluster_env(Settings(home=tmp_path / "c"), workers=4)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW__CORE__PARALLELISM"] == "4"


def test_components_add_one_single_slot_worker_each_without_a_log_server():
    found = cluster.components(2)
    assert list(found)[:4] == ["api-server", "scheduler", "dag-processor", "triggerer"]
    assert found["worker-w2"] == [
        "celery",
        "worker",
        "--concurrency",
        "1",
        "--celery-hostname",
        "w2@%h",
        "--skip-serve-logs",
    ]
    assert len(found) == 6


def test_worker_ready_reads_the_celery_ready_line(tmp_path: Path):
    (tmp_path / "worker-w1.log").write_text("... [info] w1@vm ready.  [celery.apps.worker]\n")
    (tmp_path / "worker-w2.log").write_text("... [info] mingle: all alone\n")
    assert cluster._worker_ready(tmp_path, "w1")
    assert not cluster._worker_ready(tmp_path, "w2")
    assert not cluster._worker_ready(tmp_path, "w3")


def test_stop_without_a_cluster_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert cluster.stop(Settings(home=tmp_path)) == 0
    assert "stopped" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_service_probes_see_nothing_on_a_closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        assert not services.postgres_answers(port=port)
        assert not services.redis_answers(port=port)
