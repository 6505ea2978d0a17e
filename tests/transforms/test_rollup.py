"""The province layer on tiny bureau warehouses: each bureau's figures read as they are, the
province's pooled, ranks across the province, and a failed or missing bureau named."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from transforms import warehouse
from transforms.rollup import ProvinceError, build_province
from transforms.route import province_connect

DAY = date(2026, 11, 27)
KPI_COLUMNS = (
    "stations",
    "stations_meeting_norms",
    "kpi_few_cases",
    "previous_kpi_few_cases",
    "kpi_good_order",
    "previous_kpi_good_order",
    "disputes",
    "disputes_resolved",
    "kpi_stability",
    "callbacks_reached",
    "callbacks_satisfied",
    "kpi_satisfaction",
)


def kpi_row(scope: str, scope_id: str, few: int, order: int, disputes=(10, 5), calls=(10, 9)):
    """A mart_kpis row with the columns the province reads."""
    return {
        "as_of_date": DAY,
        "scope": scope,
        "scope_id": scope_id,
        "stations": 1 if scope == "station" else 2,
        "stations_meeting_norms": 1,
        "kpi_few_cases": few,
        "previous_kpi_few_cases": few + 1,
        "kpi_few_cases_flag": "flat",
        "kpi_good_order": order,
        "previous_kpi_good_order": order,
        "kpi_good_order_flag": "flat",
        "disputes": disputes[0],
        "disputes_resolved": disputes[1],
        "kpi_stability": disputes[1] / disputes[0],
        "kpi_stability_flag": "better",
        "callbacks_reached": calls[0],
        "callbacks_satisfied": calls[1],
        "kpi_satisfaction": calls[1] / calls[0],
        "kpi_satisfaction_flag": "better",
    }


def create(con, table: str, frame: pl.DataFrame) -> None:
    """A table made from a frame (a mart the bureau's transform would have built)."""
    con.register("_frame", frame)
    con.execute(f"create table {table} as select * from _frame")
    con.unregister("_frame")


def bureau_file(settings: Settings, bureau: str, kpis: list[dict], feeds_ok: bool, cases: dict):
    """A bureau warehouse with the tables the province reads."""
    with warehouse.connect(settings.for_bureau(bureau)) as con:
        create(con, "mart_kpis", pl.DataFrame(kpis))
        stations = [
            {
                "station_id": r["scope_id"],
                "bureau_id": bureau,
                "station_name": f"站{r['scope_id']}",
                "bureau_name": f"局{bureau}",
            }
            for r in kpis
            if r["scope"] == "station"
        ]
        create(con, "dim_stations", pl.DataFrame(stations))
        con.execute("insert into mart_builds values (?, ?)", [DAY, DAY])
        for feed in FEED_NAMES:
            status = "failed" if (feed == "cases" and not feeds_ok) else "ok"
            con.execute(
                "insert into feed_status (as_of_date, feed, status, problems) values (?, ?, ?, ?)",
                [DAY, feed, status, "cases: no file" if status == "failed" else None],
            )
        series = pl.DataFrame(
            {
                "dimension": "total",
                "category": "all",
                "reported_date": list(cases),
                "cases": list(cases.values()),
            }
        )
        create(con, "mart_case_series", series)


@pytest.fixture
def province(tmp_path) -> Settings:
    """Bureaus B1 (complete), B2 (its cases feed failed) and B3 (routed, never built)."""
    settings = Settings(home=tmp_path / "home")
    with province_connect(settings) as con:
        con.execute(
            "insert into route_stations values "
            "('S1', 'B1'), ('S2', 'B1'), ('S3', 'B2'), ('S4', 'B3')"
        )
    last_year = DAY - timedelta(days=365)
    days = {DAY - timedelta(days=i): 2 for i in range(3)} | {
        last_year - timedelta(days=i): 1 for i in range(-1, 3)
    }
    bureau_file(
        settings,
        "B1",
        [
            kpi_row("bureau", "B1", 30, 20),
            kpi_row("station", "S1", 10, 15),
            kpi_row("station", "S2", 20, 5),
        ],
        True,
        days,
    )
    bureau_file(
        settings,
        "B2",
        [kpi_row("bureau", "B2", 12, 40, (20, 15)), kpi_row("station", "S3", 12, 40, (20, 15))],
        False,
        {DAY: 5},
    )
    return settings


def test_the_province_reads_each_bureau_and_ranks_across_the_province(province):
    build_province(province, DAY)
    with province_connect(province) as con:
        quality = dict(
            con.execute(
                "select bureau_id, run_status from mart_province_quality where as_of_date = ?",
                [DAY],
            ).fetchall()
        )
        league = {
            (scope, scope_id): (few, stability, place, status)
            for scope, scope_id, few, stability, place, status in con.execute(
                "select scope, scope_id, kpi_few_cases, kpi_stability, league_place, run_status "
                "from mart_province_league where as_of_date = ?",
                [DAY],
            ).fetchall()
        }
        ranks = dict(
            con.execute(
                "select scope_id, rank_few_cases from mart_province_league where scope = 'station'"
            ).fetchall()
        )
        months = {
            (b, m.isoformat()): (cases, last, change)
            for b, m, cases, last, change in con.execute(
                "select bureau_id, month, cases, cases_last_year, change_pct "
                "from mart_province_months"
            ).fetchall()
        }
    assert quality == {
        "B1": "complete",
        "B2": "incomplete",
        "B3": "missing",
        "province": "complete",
    }
    # a bureau's and a station's figures are its warehouse's; the province's are pooled
    assert league[("bureau", "B1")][:2] == (30, 0.5) and league[("station", "S3")][0] == 12
    assert league[("province", "all")][:2] == (42, 20 / 30)
    # ranks across the province, whichever bureau a station is in: criminal cases 10 < 12 < 20
    assert ranks == {"S1": 1, "S3": 2, "S2": 3}
    # mean ranks S1 (1+2+2+1)/4, S2 (3+1+2+1)/4 and S3 (2+3+1+1)/4: S2 and S3 tie, then by id
    stations = {k[1]: v for k, v in league.items() if k[0] == "station"}
    assert sorted(stations, key=lambda s: stations[s][2]) == ["S1", "S2", "S3"]
    assert league[("station", "S3")][3] == "incomplete"  # its bureau's status travels with it
    # months: November against the same days of November a year before (25th-27th only)
    assert months[("B1", "2026-11-01")] == (6, 3, 100.0)
    assert months[("B2", "2026-11-01")] == (5, None, None)  # no last year in its series
    assert months[("all", "2026-11-01")][0] == 11


def test_a_province_with_no_bureau_built_fails_loudly(tmp_path):
    settings = Settings(home=tmp_path / "home")
    with province_connect(settings) as con:
        con.execute("insert into route_stations values ('S1', 'B1')")
    with pytest.raises(ProvinceError, match="no bureau has built its marts"):
        build_province(settings, DAY)
