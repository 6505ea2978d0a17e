"""Shared pytest fixtures for the whole suite; each concern has its own section below."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from beatbrief.airflow_runner import USER_OWNED, airflow_env, prepare_airflow
from beatbrief.config import Settings

# ==== Airflow ====================================================================================
# Airflow reads its configuration from the environment once, when it is first imported. pytest
# imports this file before any test module, so the whole session (and every subprocess it
# starts) sees Airflow under a throwaway BEATBRIEF_HOME, never ./var or ~/airflow.
# An in-process test that runs the DAG must use `beatbrief_home` as its data root: Airflow
# cannot be pointed at a second home later in the same process (use a subprocess for that).

AIRFLOW_TEST_HOME = Path(tempfile.mkdtemp(prefix="beatbrief-test-home-"))
# airflow_env keeps a connection string or executor the user set; the suite never uses them.
for name in (
    *USER_OWNED,
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
):
    os.environ.pop(name, None)
os.environ.update(airflow_env(Settings(home=AIRFLOW_TEST_HOME)))


def pytest_configure(config: pytest.Config) -> None:
    """Silence a warning Airflow 3.3's own imports raise (fastapi's test client, via starlette)."""
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's throwaway home."""
    shutil.rmtree(AIRFLOW_TEST_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def beatbrief_home() -> Path:
    """The session's BEATBRIEF_HOME, the one Airflow in this process is configured for."""
    return AIRFLOW_TEST_HOME


@pytest.fixture(scope="session")
def airflow_db(beatbrief_home: Path) -> Path:
    """A migrated Airflow metadata DB under beatbrief_home/airflow; returns AIRFLOW_HOME."""
    return prepare_airflow(Settings(home=beatbrief_home))


# The slowest test files, started first: with `make test`'s two xdist workers (one file per
# worker at a time), a slow file left to the end keeps one worker busy while the other idles.
SLOW_FIRST = (
    "tests/test_celery.py",
    "tests/test_no_silent_failure.py",
    "tests/test_reruns.py",
    "tests/test_end_to_end.py",
    "tests/test_planted_signals.py",
    "tests/test_planted_deployment.py",
    "tests/transforms/test_grain.py",
    "tests/transforms/test_route.py",
    "tests/test_pages_browser.py",
    "tests/reports/test_weekly_dag.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the slow files first, in SLOW_FIRST's order; the rest keep their order."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    root = Path(str(config.rootpath))

    def key(item: pytest.Item) -> int:
        path = Path(str(item.path)).relative_to(root).as_posix()
        return rank.get(path, len(rank))

    items.sort(key=key)
