"""The deployment marts find what the simulator planted: teams sent to patrol cold areas are
flagged misaligned (teams sent to hotspots never are), and the stations below the officer norm
fail it. Loads a simulated county without Airflow: ingest and validate each feed, then build."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from beatbrief.simulate import run_simulation
from expectations.validate import validate_feed
from reports.plans import write_patrol_plans
from transforms import warehouse
from transforms.ingest import ingest_feed
from transforms.runner import build_models

END = date(2026, 11, 27)
SEED = 11


def truth(settings: Settings, name: str) -> list[dict]:
    return json.loads((settings.truth_dir / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Settings:
    """60 days of a clean county with 3 days of patrols, loaded and built for END."""
    home: Path = tmp_path_factory.mktemp("planted-deployment")
    run_simulation(home, end=END, days=60, seed=SEED, scale="county", fault_rate=0.0, ping_days=3)
    settings = Settings(home=home)
    for feed in FEED_NAMES:
        ingest_feed(settings, feed, END)
        validate_feed(settings, feed, END)
    build_models(settings, END)
    return settings


def team_alignment(settings: Settings) -> dict[str, dict]:
    with warehouse.connect(settings) as con:
        frame = con.sql(
            "select * from mart_patrol_team_alignment where as_of_date = ?", params=[END]
        ).pl()
    return {row["team_id"]: row for row in frame.iter_rows(named=True)}


def test_cold_area_teams_are_flagged_and_hotspot_teams_are_not(county):
    assignment = {t["team_id"]: t["assignment"] for t in truth(county, "patrol_teams.json")}
    teams = team_alignment(county)
    cold = {t for t, a in assignment.items() if a == "cold"}
    hot = {t for t, a in assignment.items() if a == "hotspots"}
    assert cold and hot and cold | hot <= set(teams)
    flagged = {t for t, row in teams.items() if row["is_misaligned"]}
    assert cold <= flagged
    assert not hot & flagged
    # every flagged team is a cold-area or a general team, never a hotspot team, and the
    # cold-area teams spend less of their time in hot cells than any hotspot team
    assert {assignment[t] for t in flagged} <= {"cold", "general"}
    assert max(teams[t]["hot_minutes_share"] for t in cold) < min(
        teams[t]["hot_minutes_share"] for t in hot
    )


def test_understaffed_stations_fail_the_officer_norm(county):
    understaffed = {s["station_id"] for s in truth(county, "understaffed_stations.json")}
    with warehouse.connect(county) as con:
        verdicts = dict(
            con.execute(
                "select station_id, meets_officer_norm from mart_station_scorecard "
                "where as_of_date = ?",
                [END],
            ).fetchall()
        )
    assert understaffed
    assert {s for s, meets in verdicts.items() if not meets} == understaffed


def test_every_station_gets_a_plan_file(county):
    written = write_patrol_plans(county, END)
    with warehouse.connect(county) as con:
        stations = [r[0] for r in con.execute("select station_id from dim_stations").fetchall()]
        planned = con.execute(
            "select count(distinct station_id) from mart_patrol_plan where as_of_date = ?", [END]
        ).fetchall()[0][0]
    assert sorted(p.stem for p in written) == sorted(stations)
    assert all(p.parent == county.plans_dir(date(2026, 11, 28)) for p in written)
    assert planned > 0
