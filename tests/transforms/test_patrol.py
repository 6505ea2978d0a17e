"""Patrol presence, alignment with hotspots and the next-day plan, on hand-made GPS tracks."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from tests.transforms.conftest import STATIONS
from tests.transforms.test_grid import CELL, LAT0, LON0, Box, community
from transforms.runner import discover_models, model_parameters, run_model

AS_OF = date(2026, 3, 10)  # a Tuesday
DAY = "2026-03-10"
SMALL = Box(625.0, 375.0)  # 5 x 4 cells with the padding
BIG = Box(2900.0, 1900.0)  # 14 x 10 cells with the padding
CLUSTER = [(x, y) for x in (5, 6, 7) for y in (4, 5, 6)]  # 4 cases each: a clear hotspot
PLAN = "mart_patrol_plan"
# another engineer's model, read by the plan; these tests stand a fixture table in for it
ALERTS = "mart_near_repeat_alerts"
ALERTS_DDL = """
create or replace table mart_near_repeat_alerts as
select * from (values
    (date '2026-03-10', 'NR1', 'S1', 'burglary', $lon, $lat, 200.0, date '2026-03-13'),
    (date '2026-03-10', 'NR0', 'S1', 'theft', $lon, $lat, 200.0, date '2026-03-10'),
    (date '2026-03-09', 'NR9', 'S1', 'fraud', $lon, $lat, 200.0, date '2026-03-20')
) as t (
    as_of_date, alert_id, station_id, category, center_lon, center_lat, radius_m, valid_until
)
"""


def build(tiny, as_of: date = AS_OF, *, upto: str | None = None, alert_at=None) -> None:
    """Run the models in order like tiny.build, never the near-repeat alerts model: with
    alert_at the plan reads a fixture alerts table around that point, without it the plan is
    not built."""
    params = model_parameters(tiny.settings, as_of)
    if alert_at is not None:
        tiny.con.execute(ALERTS_DDL, {"lon": alert_at[0], "lat": alert_at[1]})
    for model in discover_models():
        if model.name == ALERTS or (model.name == PLAN and alert_at is None):
            continue
        run_model(tiny.con, model, params)
        if model.name == upto:
            break


def point(box: Box, gx: float, gy: float) -> tuple[float, float]:
    """lon, lat of a point gx, gy metres from the grid's origin (one cell SW of the box)."""
    return box.lon_at(gx - CELL), box.lat_at(gy - CELL)


def centre(box: Box, cell_x: int, cell_y: int) -> tuple[float, float]:
    """lon, lat of a cell's centre."""
    return point(box, (cell_x + 0.5) * CELL, (cell_y + 0.5) * CELL)


def ping(device: str, at: datetime | str, lonlat: tuple[float, float], **fields) -> dict:
    """An accepted patrol_pings row of team S1-T1 unless told otherwise."""
    row = {
        "device_id": device,
        "shift_id": "SH1",
        "team_id": "S1-T1",
        "station_id": "S1",
        "pinged_at": str(at),
        "lon": lonlat[0],
        "lat": lonlat[1],
        "speed_kmh": 20.0,
    }
    row.update(fields)
    return row


def track(device: str, start: str, n: int, lonlat, step_s: int = 30, **fields) -> list[dict]:
    """n pings every step_s seconds from start, all at one place (or one per place given)."""
    t0 = datetime.fromisoformat(start)
    places = lonlat if isinstance(lonlat, list) else [lonlat] * n
    return [ping(device, t0 + timedelta(seconds=k * step_s), places[k], **fields) for k in range(n)]


def presence(tiny, as_of: date = AS_OF) -> dict[tuple[str, str, int], tuple[float, float]]:
    """(team, cell, hour) -> (patrol_minutes, device_minutes) of the day."""
    return {
        (team, cell, hour): (minutes, device_minutes)
        for team, cell, hour, minutes, device_minutes in tiny.rows(
            "select team_id, cell_id, hour, patrol_minutes, device_minutes "
            "from mart_patrol_presence where as_of_date = ?",
            [as_of],
        )
    }


# ---- presence ----------------------------------------------------------------------------------


def test_each_fix_credits_its_cell_with_the_gap_to_the_next_capped(tiny):
    tiny.add("stations", SMALL.stations())
    tiny.add(
        "patrol_pings",
        [
            *track("D1", f"{DAY} 10:00:00", 3, centre(SMALL, 1, 1)),  # 10:00:00, :30, 10:01:00
            # 9 minutes of silence: the fix at 10:01:00 credits only ping_max_gap_s = 120 s
            *track("D1", f"{DAY} 10:10:00", 2, centre(SMALL, 2, 1)),
        ],
    )
    build(tiny)
    assert presence(tiny) == {
        ("S1-T1", "B1:1:1", 10): (pytest.approx(3.0), pytest.approx(3.0)),
        # 10:10:00 credits the 30 s to 10:10:30; the device's last fix credits nothing
        ("S1-T1", "B1:2:1", 10): (pytest.approx(0.5), pytest.approx(0.5)),
    }
    pings = tiny.rows(
        "select gap_to_next_s, credited_s from int_patrol_pings order by pinged_at", []
    )
    assert pings == [(30.0, 30.0), (30.0, 30.0), (540.0, 120.0), (30.0, 30.0), (None, 0.0)]


def test_a_longer_gap_setting_credits_more(tiny):
    tiny.settings = dataclasses.replace(tiny.settings, ping_max_gap_s=600)
    tiny.add("stations", SMALL.stations())
    tiny.add(
        "patrol_pings",
        [
            ping("D1", f"{DAY} 10:00:00", centre(SMALL, 1, 1)),
            ping("D1", f"{DAY} 10:09:00", centre(SMALL, 1, 1)),
            ping("D1", f"{DAY} 10:30:00", centre(SMALL, 1, 1)),
        ],
    )
    build(tiny)
    # 540 s (under the cap) + 600 s (capped from 1,260 s)
    assert presence(tiny)[("S1-T1", "B1:1:1", 10)][0] == pytest.approx(19.0)


def test_a_teleport_fix_is_dropped_and_does_not_break_the_track(tiny):
    tiny.add("stations", SMALL.stations())
    here = centre(SMALL, 1, 1)
    far = (LON0 + 0.5, LAT0)  # some 40 km east: 4,800 km/h from its neighbours
    tiny.add(
        "patrol_pings",
        [
            ping("D1", f"{DAY} 10:00:00", here),
            ping("D1", f"{DAY} 10:00:30", here),
            ping("D1", f"{DAY} 10:01:00", far),
            ping("D1", f"{DAY} 10:01:30", here),
            ping("D1", f"{DAY} 10:02:00", here),
            ping("D1", f"{DAY} 10:02:30", (0.0, 0.0)),  # a zero fix is a jump as well
            ping("D1", f"{DAY} 10:03:00", here),
        ],
    )
    build(tiny)
    statuses = tiny.rows("select ping_status, credited_s from int_patrol_pings order by pinged_at")
    assert [s for s, _ in statuses] == [
        "in_grid",
        "in_grid",
        "jump",
        "in_grid",
        "in_grid",
        "jump",
        "in_grid",
    ]
    # the fix before each jump credits the time to the next good fix (60 s)
    assert [c for _, c in statuses] == [30.0, 60.0, 0.0, 30.0, 60.0, 0.0, 0.0]
    assert presence(tiny) == {("S1-T1", "B1:1:1", 10): (pytest.approx(3.0), pytest.approx(3.0))}
    [(jumps, in_grid, minutes)] = tiny.rows(
        "select pings_jump, pings_in_grid, gps_patrol_minutes from mart_patrol_team_days"
    )
    assert (jumps, in_grid, minutes) == (2, 5, pytest.approx(3.0))


def test_a_fast_but_real_drive_is_kept(tiny):
    tiny.add("stations", SMALL.stations())
    # 250 m every 10 s = 90 km/h, under ping_max_speed_kmh = 150, along the cells of row 1
    tiny.add(
        "patrol_pings",
        track("D1", f"{DAY} 10:00:00", 4, [centre(SMALL, x, 1) for x in range(4)], step_s=10),
    )
    build(tiny)
    statuses = tiny.rows("select distinct ping_status from int_patrol_pings")
    assert statuses == [("in_grid",)]


def test_a_teams_devices_together_count_once(tiny):
    tiny.add("stations", SMALL.stations())
    here = centre(SMALL, 2, 2)
    tiny.add(
        "patrol_pings",
        [
            *track("CAR1", f"{DAY} 20:00:00", 21, here),  # 10 minutes
            *track("BW1", f"{DAY} 20:05:15", 11, here),  # 5 of them again, offset by 15 s
            *track("BW2", f"{DAY} 20:00:00", 5, here, team_id="S1-T2"),  # another team: 2 min
        ],
    )
    build(tiny)
    got = presence(tiny)
    # the union of T1's intervals is 20:00:00-20:10:00 plus 20:10:00-20:10:15 from BW1's tail
    assert got[("S1-T1", "B1:2:2", 20)] == (pytest.approx(10.25), pytest.approx(15.0))
    assert got[("S1-T2", "B1:2:2", 20)] == (pytest.approx(2.0), pytest.approx(2.0))


def test_fixes_outside_the_grid_are_counted_not_credited(tiny):
    tiny.add("stations", SMALL.stations())
    outside = point(SMALL, -100.0, 100.0)  # 100 m west of the padded grid
    tiny.add(
        "patrol_pings",
        [
            ping("D1", f"{DAY} 10:00:00", centre(SMALL, 0, 0)),
            ping("D1", f"{DAY} 10:00:30", outside),
            ping("D1", f"{DAY} 10:01:00", outside),
            ping("D1", f"{DAY} 10:01:30", centre(SMALL, 0, 0)),
            ping("D1", f"{DAY} 10:02:00", centre(SMALL, 0, 0)),
        ],
    )
    build(tiny)
    assert presence(tiny) == {("S1-T1", "B1:0:0", 10): (pytest.approx(1.0), pytest.approx(1.0))}
    [(outside_n,)] = tiny.rows("select pings_outside_grid from mart_patrol_team_days")
    assert outside_n == 2


def test_only_the_days_pings_count_and_history_is_kept(tiny):
    tiny.add("stations", SMALL.stations())
    tiny.add(
        "patrol_pings",
        [
            *track("D1", "2026-03-09 23:59:00", 4, centre(SMALL, 1, 1)),  # two before midnight
            *track("D1", "2026-03-10 08:00:00", 3, centre(SMALL, 2, 1)),
        ],
    )
    build(tiny, date(2026, 3, 9))
    build(tiny)
    # 23:59:00 and 23:59:30 credit 30 s each on the 9th; 00:00:00 and 00:00:30 belong to the 10th
    assert presence(tiny, date(2026, 3, 9)) == {
        ("S1-T1", "B1:1:1", 23): (pytest.approx(1.0), pytest.approx(1.0))
    }
    # 00:00:30 -> 08:00:00 is capped at 120 s
    assert presence(tiny, AS_OF) == {
        ("S1-T1", "B1:1:1", 0): (pytest.approx(2.5), pytest.approx(2.5)),
        ("S1-T1", "B1:2:1", 8): (pytest.approx(1.0), pytest.approx(1.0)),
    }


def test_shift_logs_give_officer_hours_split_at_midnight(tiny):
    tiny.add("stations", SMALL.stations())
    tiny.add(
        "patrol_shifts",
        [
            {
                "shift_id": "SH1",
                "station_id": "S1",
                "team_id": "S1-T1",
                "officer_count": 3,
                "mode": "vehicle",
                "started_at": f"{DAY} 08:00:00",
                "ended_at": f"{DAY} 16:00:00",
            },
            {
                "shift_id": "SH2",
                "station_id": "S1",
                "team_id": "S1-T1",
                "officer_count": 2,
                "mode": "vehicle",
                "started_at": f"{DAY} 20:00:00",
                "ended_at": "2026-03-11 04:00:00",
            },
        ],
    )
    tiny.add("patrol_pings", track("D1", f"{DAY} 08:00:00", 121, centre(SMALL, 1, 1)))
    build(tiny)
    [row] = tiny.frame("select * from mart_patrol_team_days").iter_rows(named=True)
    assert row["shifts"] == 2
    assert row["shift_hours"] == pytest.approx(12.0)  # 8 h + the 4 h before midnight
    assert row["officer_hours"] == pytest.approx(3 * 8 + 2 * 4)
    assert row["gps_patrol_minutes"] == pytest.approx(60.0)
    assert row["gps_coverage_pct"] == pytest.approx(100.0 * 60 / (12 * 60))


# ---- alignment ---------------------------------------------------------------------------------


def hot_box(tiny) -> None:
    """Station S1 with one community over BIG, a case cluster reported Tuesday 19:00 in the
    cells of CLUSTER and 10,000 residents."""
    tiny.add("stations", [{**STATIONS[0], "lon": LON0, "lat": LAT0}])
    ne_lon, ne_lat = BIG.lon_at(BIG.width_m), BIG.lat_at(BIG.height_m)
    tiny.add("communities", [community("C1", "S1", ne_lon, ne_lat)])
    tiny.add(
        "population",
        [
            {
                "community_id": "C1",
                "as_of_date": "2026-03-01",
                "registered_residents": 8000,
                "floating_residents": 2000,
            }
        ],
    )
    tiny.add(
        "cases",
        [BIG.case_in(f"K{x}{y}{k}", x, y, f"{DAY} 19:00:00") for x, y in CLUSTER for k in range(4)],
    )


def hot_classes(tiny) -> dict[tuple[int, int], int]:
    """hot_class of every cell of the day, by (cell_x, cell_y)."""
    return {
        (x, y): c
        for x, y, c in tiny.rows(
            "select cell_x, cell_y, hot_class from mart_hotspot_cells where as_of_date = ?",
            [AS_OF],
        )
    }


def test_koper_share_counts_hot_cell_hours_with_fifteen_minutes(tiny):
    hot_box(tiny)
    tiny.add(
        "patrol_pings",
        [
            # 20 minutes in the middle of the hotspot during the top period (Tue 18-21)
            *track("D1", f"{DAY} 19:00:00", 41, centre(BIG, 6, 5)),
            # 10 minutes in another hot cell: not a Koper dose
            *track("D3", f"{DAY} 18:00:00", 21, centre(BIG, 5, 5)),
            # a second team far from it all
            *track("D2", f"{DAY} 09:00:00", 121, centre(BIG, 12, 1), team_id="S1-T2"),
        ],
    )
    build(tiny)
    classes = hot_classes(tiny)
    hot = {cell for cell, c in classes.items() if c >= 2}
    assert set(CLUSTER) <= hot and classes[(12, 1)] < 2
    [row] = tiny.frame(
        "select * from mart_patrol_alignment where as_of_date = $d", params={"d": AS_OF}
    ).iter_rows(named=True)
    assert row["hot_cells"] == len(hot)
    assert row["top_period_hours_today"] == 3  # the one period with cases: 18-21
    assert row["hot_cell_hours"] == 3 * len(hot)
    assert row["hot_cell_hours_dosed"] == 1
    assert row["koper_share"] == pytest.approx(1 / (3 * len(hot)))
    assert row["hot_cells_dosed"] == 1
    assert row["unvisited_hot_cells"] == len(hot) - 2
    assert row["minutes_in_hot_cells"] == pytest.approx(30.0)
    assert row["minutes_outside_hot_cells"] == pytest.approx(60.0)
    assert row["hot_minutes_share"] == pytest.approx(30.0 / 90.0)
    # visibility: the cluster's cells had cases; 30 minutes there per 10,000 residents
    assert row["visible_patrol_minutes"] == pytest.approx(30.0)
    assert row["visible_minutes_per_1k_residents"] == pytest.approx(3.0)
    assert row["minutes_per_hot_cell"] == pytest.approx(30.0 / len(hot))
    teams = {
        r["team_id"]: r
        for r in tiny.frame(
            "select * from mart_patrol_team_alignment where as_of_date = $d", params={"d": AS_OF}
        ).iter_rows(named=True)
    }
    assert teams["S1-T1"]["hot_minutes_share"] == pytest.approx(1.0)
    assert teams["S1-T1"]["minutes_in_hot_cell_hours"] == pytest.approx(30.0)
    assert (teams["S1-T1"]["hot_cells_visited"], teams["S1-T1"]["hot_cells_dosed"]) == (2, 1)
    assert teams["S1-T1"]["is_misaligned"] is False
    assert teams["S1-T2"]["hot_minutes_share"] == 0.0
    assert teams["S1-T2"]["is_misaligned"] is True
    assert teams["S1-T2"]["mean_gi_z"] < 0 < teams["S1-T1"]["mean_gi_z"]


def test_a_patrol_passing_beside_a_hotspot_gets_no_credit_for_it(tiny):
    hot_box(tiny)
    build(tiny, upto="mart_hotspot_cells")
    classes = hot_classes(tiny)
    # the westmost hot cell on the cluster's row, and the non-hot cell west of it
    west = min(x for (x, y), c in classes.items() if y == 5 and c >= 2)
    assert classes[(west - 1, 5)] < 2
    # drive north along a line 10 m west of the hot cell's west edge, 36 km/h
    gx = west * CELL - 10.0
    line = [point(BIG, gx, 5 * CELL + 10.0 + 100.0 * k) for k in range(3)]
    tiny.add("patrol_pings", track("D1", f"{DAY} 19:00:00", 3, line, step_s=10))
    build(tiny)
    got = presence(tiny)
    assert set(got) == {("S1-T1", f"B1:{west - 1}:5", 19)}
    [(minutes_in_hot,)] = tiny.rows("select minutes_in_hot_cells from mart_patrol_alignment")
    assert minutes_in_hot == 0.0
    unvisited = dict(
        tiny.rows("select cell_id, nearby_patrol_minutes from mart_unvisited_hotspots")
    )
    assert unvisited[f"B1:{west}:5"] == pytest.approx(20 / 60)
    assert len(unvisited) == sum(c >= 2 for c in classes.values())


def test_alignment_without_patrol_or_hotspots_is_empty_not_an_error(tiny):
    tiny.add("stations", SMALL.stations())
    build(tiny)
    rows = tiny.frame("select * from mart_patrol_alignment order by station_id")
    assert rows["station_id"].to_list() == ["S1", "S2"]
    assert rows["koper_share"].null_count() == 2
    assert rows["hot_minutes_share"].null_count() == 2
    assert rows["hot_cells"].to_list() == [0, 0]
    assert tiny.rows("select count(*) from mart_patrol_team_alignment") == [(0,)]


# ---- the next-day plan -------------------------------------------------------------------------


def build_plan(tiny, alert_at: tuple[float, float]) -> list[dict]:
    """Build every model with the fixture alerts; the plan's entries, best first."""
    build(tiny, alert_at=alert_at)
    return list(
        tiny.frame("select * from mart_patrol_plan order by plan_rank").iter_rows(named=True)
    )


def shifts_for_plan() -> list[dict]:
    """Seven days of one 8-hour shift (16:00-24:00) of two officers: 16 officer-hours a day."""
    return [
        {
            "shift_id": f"SH{d}",
            "station_id": "S1",
            "team_id": "S1-T1",
            "officer_count": 2,
            "mode": "vehicle",
            "started_at": f"2026-03-{d:02d} 16:00:00",
            "ended_at": f"2026-03-{d + 1:02d} 00:00:00",
        }
        for d in range(4, 11)
    ]


def test_the_plan_fits_capacity_and_explains_itself(tiny):
    hot_box(tiny)
    tiny.add("patrol_shifts", shifts_for_plan())
    entries = build_plan(tiny, alert_at=centre(BIG, 7, 6))  # an alert on the hotspot's corner
    assert entries, "a station with hotspots and shifts gets a plan"
    first = entries[0]
    assert first["plan_date"] == date(2026, 3, 11)
    assert first["weekday"] == 3  # Wednesday
    # capacity: 16 officer-hours a day x 0.3 directed = 4.8 officer-hours; 2 officers a team
    assert first["daily_officer_hours"] == pytest.approx(16.0)
    assert first["budget_team_minutes"] == pytest.approx(16.0 * 0.3 * 60 / 2)
    assert sum(e["recommended_minutes"] for e in entries) <= first["budget_team_minutes"]
    assert len(entries) <= 20
    for e in entries:
        assert e["recommended_minutes"] % 15 == 0 and 15 <= e["recommended_minutes"] <= 60
        # only the evening has officers on duty
        assert e["block_start_hour"] >= 15
    # the middle of the cluster in the evening block where the cases were comes first
    assert (first["cell_id"], first["block_start_hour"]) == ("B1:6:5", 18)
    assert first["hot_class"] == 3
    assert first["reason_codes"].startswith("hot_class_3;")
    assert "reason" not in first  # words are the pages' and the CSV's, from the catalogue
    # the alert zone is planned too, and says so
    alert = [e for e in entries if e["alert_ids"]]
    # NR0 expires before plan_date; NR9 is yesterday's list, not today's
    assert alert and all(e["alert_ids"] == "NR1" for e in alert)
    assert "near_repeat_alert" in alert[0]["reason_codes"]
    assert alert[0]["alert_categories"] == "burglary"
    assert alert[0]["alert_valid_until"] == date(2026, 3, 13)
    ranks = [e["plan_rank"] for e in entries]
    assert ranks == list(range(1, len(entries) + 1))


def test_no_shift_logs_no_plan(tiny):
    hot_box(tiny)
    assert build_plan(tiny, alert_at=centre(BIG, 1, 8)) == []


def test_alignment_totals_pool_a_bureaus_stations_from_their_sums(tiny):
    from datetime import date

    from transforms.runner import discover_models, model_parameters, run_model

    day = date(2026, 3, 10)
    rows = [  # station, bureau, hot cell-hours, dosed, minutes in / outside hot cells
        ("S1", "B1", 10, 5, 30.0, 70.0),
        ("S2", "B1", 30, 3, 10.0, 0.0),
        ("S3", "B2", 0, 0, 0.0, 0.0),
    ]
    tiny.con.execute(
        "create table mart_patrol_alignment (as_of_date date, station_id varchar, "
        "bureau_id varchar, hot_cells bigint, hot_cell_hours bigint, hot_cell_hours_dosed bigint, "
        "hot_cells_dosed bigint, unvisited_hot_cells bigint, patrol_minutes double, "
        "minutes_in_hot_cells double, minutes_outside_hot_cells double, "
        "visible_patrol_minutes double)"
    )
    for station, bureau, hours, dosed, inside, outside in rows:
        tiny.con.execute(
            "insert into mart_patrol_alignment values (?, ?, ?, 1, ?, ?, 1, 0, ?, ?, ?, 0.0)",
            [day, station, bureau, hours, dosed, inside + outside, inside, outside],
        )
    model = {m.name: m for m in discover_models()}["mart_patrol_alignment_totals"]
    run_model(tiny.con, model, model_parameters(tiny.settings, day))
    got = {
        (scope, scope_id): rest
        for scope, scope_id, *rest in tiny.rows(
            "select scope, scope_id, stations, hot_cell_hours, koper_share, hot_minutes_share "
            "from mart_patrol_alignment_totals order by all"
        )
    }
    # B1: 8 of 40 hot cell-hours dosed (not the mean of 50% and 10%), 40 of 110 minutes inside
    assert got[("bureau", "B1")] == [2, 40, 0.2, 40 / 110]
    assert got[("station", "S1")] == [1, 10, 0.5, 0.3]
    assert got[("bureau", "B2")] == [1, 0, None, None]  # no hot cell-hour, no minutes
    assert got[("region", "all")] == [3, 40, 0.2, 40 / 110]
