"""Where and when: hot road segments (路段), places (部位) and top time periods (时段)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from scipy import stats

from tests.transforms.conftest import STATIONS, case

AS_OF = date(2026, 3, 10)  # window 2026-02-11..03-10; baseline 2025-02-12..2026-02-10


def segment(road_segment_id: str, station_id: str, length_m: float) -> dict:
    """A road segment record (its geometry does not matter here)."""
    return {
        "road_segment_id": road_segment_id,
        "road_name": "人民路",
        "segment_name": f"人民路{road_segment_id}",
        "station_id": station_id,
        "from_lon": 125.30,
        "from_lat": 43.90,
        "to_lon": 125.31,
        "to_lat": 43.90,
        "length_m": length_m,
    }


def on(day: date | str, n: int, prefix: str, **fields) -> list[dict]:
    """n cases reported on one day (ids from prefix, day and number: keep prefixes distinct)."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return [case(f"{prefix}{day.isoformat()}_{k}", f"{day} 10:00:00", **fields) for k in range(n)]


def every(start: str, step_days: int, n: int, prefix: str, **fields) -> list[dict]:
    """One case every step_days days, n times, from start."""
    first = date.fromisoformat(start)
    return [c for k in range(n) for c in on(first + timedelta(k * step_days), 1, prefix, **fields)]


@pytest.fixture
def roads(tiny):
    """R1 (S1, 500 m): 6 now, 26 in the baseline; R2 (S2, 2 km): 8 now, none before;
    R3 (S1, 1 km): none now, 52 before; R4: never."""
    tiny.add("stations", STATIONS)
    tiny.add(
        "road_segments",
        [segment("R1", "S1", 500.0), segment("R2", "S2", 2000.0), segment("R3", "S1", 1000.0)]
        + [segment("R4", "S2", 800.0)],
    )
    r1 = {"road_segment_id": "R1", "place_type": "street"}
    r2 = {"road_segment_id": "R2", "place_type": "market", "station_id": "S2"}
    r3 = {"road_segment_id": "R3", "place_type": "shop"}
    tiny.add(
        "cases",
        [
            *on("2025-02-11", 1, "old", **r1),  # the day before the baseline: out
            *every("2025-02-12", 14, 25, "base", **r1),  # from the baseline's first day
            *on("2026-02-10", 1, "last", **r1),  # the baseline's last day
            *on("2026-02-11", 1, "now", **r1),  # the window's first day
            *on("2026-03-01", 1, "now", **r1),
            *on("2026-03-05", 1, "now", **r1),
            *on("2026-03-08", 1, "now", **r1),
            *on("2026-03-10", 2, "now", **r1),
            *on("2026-03-11", 1, "later", **r1),  # after the day: out
            *[c for d in range(1, 9) for c in on(f"2026-03-0{d}", 1, "r2_now", **r2)],
            *every("2025-02-12", 7, 52, "r3_base", **r3),
        ],
    )
    tiny.build(AS_OF)
    return tiny


def test_segments_against_their_own_baseline(roads):
    got = {
        r["road_segment_id"]: r
        for r in roads.frame(
            "select * from mart_hot_road_segments where as_of_date = $d", params={"d": AS_OF}
        ).iter_rows(named=True)
    }
    assert sorted(got) == ["R1", "R2", "R3"]  # R4 never had a case
    r1, r2, r3 = got["R1"], got["R2"], got["R3"]
    assert (r1["cases"], r1["baseline_cases"], r1["expected_cases"]) == (6, 26, 2.0)
    assert r1["cases_per_km"] == 12.0
    assert r1["poisson_p"] == pytest.approx(stats.poisson.sf(5, 2.0), abs=1e-12)
    assert r1["poisson_z"] == pytest.approx(2 * (6**0.5 - 2**0.5))
    assert (r1["bureau_id"], r1["station_id"]) == ("B1", "S1")
    # nothing expected: any case is significant
    assert (r2["cases"], r2["expected_cases"], r2["poisson_p"]) == (8, 0.0, 0.0)
    assert r2["cases_per_km"] == 4.0
    # a segment that went quiet keeps its row
    assert (r3["cases"], r3["baseline_cases"], r3["expected_cases"]) == (0, 52, 4.0)
    assert (r3["poisson_p"], r3["poisson_z"]) == (1.0, -4.0)
    ranks = {
        k: (r["rank_by_count"], r["rank_by_rate"], r["rank_by_z"], r["station_rank_by_count"])
        for k, r in got.items()
    }
    assert ranks == {"R1": (2, 1, 2, 1), "R2": (1, 2, 1, 1), "R3": (3, 3, 3, 2)}
    assert r1["window_start_date"] == date(2026, 2, 11)
    assert r1["baseline_start_date"] == date(2025, 2, 12)
    assert r1["is_baseline_complete"] is True  # the history reaches 2025-02-11


def test_baseline_weeks_setting_and_short_history(tiny):
    tiny.settings = dataclasses.replace(tiny.settings, baseline_weeks=4)
    tiny.add("stations", STATIONS)
    tiny.add("road_segments", [segment("R1", "S1", 500.0)])
    # baseline of 4 weeks: 2026-01-14..02-10, 6 cases -> 1.5 a week -> 6 expected in 28 days
    tiny.add(
        "cases",
        on("2026-01-14", 4, "b", road_segment_id="R1")
        + on("2026-02-10", 2, "b", road_segment_id="R1")
        + on("2026-03-01", 3, "n", road_segment_id="R1"),
    )
    tiny.build(AS_OF)
    [(base, expected, complete)] = tiny.rows(
        "select baseline_cases, expected_cases, is_baseline_complete from mart_hot_road_segments"
    )
    assert (base, expected, complete) == (6, 6.0, True)
    tiny.settings = dataclasses.replace(tiny.settings, baseline_weeks=52)
    tiny.build(AS_OF)
    [(base, complete)] = tiny.rows(
        "select baseline_cases, is_baseline_complete from mart_hot_road_segments"
    )
    assert (base, complete) == (6, False)  # the history starts 2026-01-14, not 2025-02-12


def test_places_per_bureau_and_station(roads):
    got = {
        (r["scope"], r["scope_id"], r["place_type"]): r
        for r in roads.frame(
            "select * from mart_hot_places where as_of_date = $d", params={"d": AS_OF}
        ).iter_rows(named=True)
    }
    assert sorted(got) == [
        ("bureau", "B1", "market"),
        ("bureau", "B1", "shop"),
        ("bureau", "B1", "street"),
        ("station", "S1", "shop"),
        ("station", "S1", "street"),
        ("station", "S2", "market"),
    ]
    street = got[("station", "S1", "street")]
    assert (street["cases"], street["baseline_cases"], street["expected_cases"]) == (6, 26, 2.0)
    assert street["share"] == 1.0
    assert street["poisson_p"] == pytest.approx(stats.poisson.sf(5, 2.0), abs=1e-12)
    shop = got[("station", "S1", "shop")]
    assert (shop["cases"], shop["share"], shop["poisson_z"]) == (0, 0.0, -4.0)
    bureau = {k[2]: v for k, v in got.items() if k[0] == "bureau"}
    assert bureau["market"]["share"] == pytest.approx(8 / 14)
    assert {k: (v["rank_by_count"], v["rank_by_z"]) for k, v in bureau.items()} == {
        "market": (1, 1),
        "street": (2, 2),
        "shop": (3, 3),
    }


# ---- top time periods (时段) ---------------------------------------------------------------


@pytest.fixture
def hours(tiny):
    """Station S1's cases in the 28 days to Tuesday 2026-03-10, by reported or occurrence hour."""
    tiny.add("stations", STATIONS)
    tiny.add(
        "cases",
        [
            case("T1", "2026-03-10 19:10:00"),  # Tuesday 18-21: 3
            case("T2", "2026-03-10 20:00:00"),
            case("T3", "2026-03-10 20:30:00"),
            case("M1", "2026-03-09 08:10:00"),  # Monday 06-09 and 09-12: 1 each
            case("M2", "2026-03-09 10:50:00"),
            case("W1", "2026-03-04 14:00:00"),  # Wednesday 12-15 and 15-18: 1 each
            case("W2", "2026-03-04 16:59:00"),
            # Saturday 23:00 to Sunday 01:00: half in Sat 21-24, half in Sun 00-03
            case(
                "N1",
                "2026-03-08 09:00:00",
                occurred_from="2026-03-07 23:00:00",
                occurred_to="2026-03-08 01:00:00",
            ),
        ],
    )
    return tiny


def periods(tiny, scope_id: str = "S1") -> list[tuple]:
    return tiny.rows(
        "select period_rank, weekday, block_start_hour, block_end_hour, weight, share "
        "from mart_top_time_periods where as_of_date = ? and scope_id = ? order by period_rank",
        [AS_OF, scope_id],
    )


def test_top_five_three_hour_periods(hours):
    hours.build(AS_OF)
    assert periods(hours) == [
        (1, 2, 18, 21, 3.0, 3 / 8),
        (2, 1, 6, 9, 1.0, 1 / 8),  # ties: by weekday, then start hour
        (3, 1, 9, 12, 1.0, 1 / 8),
        (4, 3, 12, 15, 1.0, 1 / 8),
        (5, 3, 15, 18, 1.0, 1 / 8),
    ]
    assert periods(hours, "B1") == periods(hours)
    assert periods(hours, "S2") == []  # no cases, no periods


def test_top_periods_settings(hours):
    hours.settings = dataclasses.replace(hours.settings, top_time_periods=10)
    hours.build(AS_OF)
    got = periods(hours)
    assert len(got) == 7  # only periods with cases are listed
    assert got[5:] == [(6, 6, 21, 24, 0.5, 0.5 / 8), (7, 7, 0, 3, 0.5, 0.5 / 8)]
    hours.settings = dataclasses.replace(hours.settings, time_block_hours=24)
    hours.build(AS_OF)
    assert [(w, start, end, weight) for _, w, start, end, weight, _ in periods(hours)] == [
        (2, 0, 24, 3.0),
        (1, 0, 24, 2.0),
        (3, 0, 24, 2.0),
        (6, 0, 24, 0.5),
        (7, 0, 24, 0.5),
    ]
