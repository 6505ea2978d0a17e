"""Provenance: a run record per briefing day, HOME/runs/<date>/run.json, and a row per day in
the province file's `run_records`, so that anyone can say which data and which version made a
page, and make it again (tests/test_provenance.py re-runs a day from its record).

A record holds the code version (`git describe` of the checkout, else the package version),
every setting and model parameter, the simulator's parameters where the feeds were simulated,
every landed file routed for the day or before (its path below the landing root, SHA-256, feed,
partition, rows and status) and every page and plan published for the day with its SHA-256.
Each briefing page's footer links to it. Written last by the province task, after the pages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from datetime import date, datetime, timedelta
from functools import cache
from importlib.metadata import version
from pathlib import Path

from beatbrief.config import REPO_ROOT, Settings

RUN_RECORD = "run.json"


def run_record_path(settings: Settings, as_of: date) -> Path:
    """HOME/runs/<date>/run.json."""
    return settings.home / "runs" / as_of.isoformat() / RUN_RECORD


def run_record_href(settings: Settings, as_of: date, folder: Path) -> str:
    """The run record's link from a page in `folder`."""
    return os.path.relpath(run_record_path(settings, as_of), folder)


@cache
def code_version() -> str:
    """`git describe --always --dirty` of the checkout, else the installed package version."""
    try:
        described = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    return f"git {described}" if described else f"beatbrief {version('beatbrief')}"


def recorded_settings(settings: Settings) -> dict:
    """Every setting but the data root and the scope (a record must not pin HOME)."""
    values = dataclasses.asdict(settings)
    return {k: v for k, v in values.items() if k not in ("home", "bureau")}


def published_files(settings: Settings, as_of: date) -> list[Path]:
    """The day's pages, tomorrow's plans and the bureaus' quality pages of the day."""
    home = settings.home
    folders = [settings.briefing_dir(as_of), settings.plans_dir(as_of + timedelta(days=1))]
    files = [p for folder in folders if folder.is_dir() for p in folder.iterdir() if p.is_file()]
    files += home.glob(f"bureaus/*/quality/{as_of.isoformat()}/index.html")
    return sorted(p for p in files if not p.name.startswith("."))


def write_run_record(settings: Settings, as_of: date) -> Path:
    """Write the day's run record and its `run_records` row; return the record's path."""
    from transforms.readers import file_sha256
    from transforms.route import province_connect
    from transforms.runner import model_parameters

    with province_connect(settings) as con:
        inputs = (
            con.sql(
                "select file_path as path, file_sha256 as sha256, feed, "
                "cast(partition_date as varchar) as partition_date, rows_read, status "
                "from route_manifest where partition_date <= $day order by all",
                params={"day": as_of},
            )
            .pl()
            .to_dicts()
        )
    simulated = settings.home / "truth" / "params.json"
    record = {
        "briefing_date": as_of.isoformat(),
        "generated_at": datetime.now().replace(microsecond=0).isoformat(),
        "code_version": code_version(),
        "settings": recorded_settings(settings),
        "model_parameters": model_parameters(settings, as_of),
        "simulator": json.loads(simulated.read_text(encoding="utf-8"))
        if simulated.is_file()
        else None,
        "inputs": inputs,
        "outputs": [
            {"path": p.relative_to(settings.home).as_posix(), "sha256": file_sha256(p)}
            for p in published_files(settings, as_of)
        ],
    }
    text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    path = run_record_path(settings, as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    with province_connect(settings) as con:
        con.execute(
            "insert or replace into run_records values (?, ?, ?, ?, ?, ?)",
            [
                as_of,
                record["generated_at"],
                record["code_version"],
                hashlib.sha256(text.encode()).hexdigest(),
                len(inputs),
                len(record["outputs"]),
            ],
        )
    return path
