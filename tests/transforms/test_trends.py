"""CompStat trends: windows, 环比 / 同比 comparisons, zero bases, Feb 29, rates per 10,000."""

from __future__ import annotations

from datetime import date

import pytest

from tests.transforms.conftest import STATIONS, case
from tests.transforms.test_grid import community

EARLY = date(2023, 1, 1)  # a delivery date before every as_of_date of the leap-year tests
AS_OF = date(2026, 3, 10)  # 1d: 03-10; 7d: 03-04..; 28d: 02-11..; ytd: 01-01.. (69 days)


def population(community_id: str, snapshot: str, registered: int, floating: int) -> dict:
    """A population snapshot row."""
    return {
        "community_id": community_id,
        "as_of_date": snapshot,
        "registered_residents": registered,
        "floating_residents": floating,
        "rental_households": 0,
    }


def trend(tiny, as_of, scope, scope_id, window, dimension="total", category="all") -> dict | None:
    """One mart_trends row as a dict (None when the row does not exist)."""
    frame = tiny.frame(
        "select * from mart_trends where as_of_date = $d and scope = $s and scope_id = $i "
        "and time_window = $w and dimension = $dim and category = $c",
        params={
            "d": as_of,
            "s": scope,
            "i": scope_id,
            "w": window,
            "dim": dimension,
            "c": category,
        },
    )
    assert frame.height <= 1
    return frame.row(0, named=True) if frame.height else None


def counts(row: dict) -> tuple[int, int, int]:
    return row["current_count"], row["previous_count"], row["last_year_count"]


@pytest.fixture
def county(tiny):
    """Two stations, three communities (M3 without population), nine cases."""
    tiny.add("stations", STATIONS)
    tiny.add(
        "communities",
        [
            community("M1", "S1", 125.30, 43.90),
            community("M2", "S1", 125.31, 43.90),
            community("M3", "S2", 125.35, 43.92),
        ],
    )
    tiny.add(
        "population",
        [
            population("M1", "2025-12-31", 1500, 500),  # superseded by the next one
            population("M1", "2026-01-31", 3000, 1000),  # in force on AS_OF: 4,000
            population("M1", "2026-03-31", 9000, 999),  # after AS_OF: not yet in force
            population("M2", "2026-02-28", 5000, 1000),  # 6,000
        ],
    )
    m1 = {"community_id": "M1"}
    tiny.add(
        "cases",
        [
            case("C1", "2026-03-10 08:00:00", **m1),
            case("C2", "2026-03-10 23:59:59", category="fraud", **m1),
            case("C3", "2026-03-09 12:00:00", **m1),
            case("C4", "2026-03-01 12:00:00", **m1),
            case("C5", "2026-02-01 12:00:00", category="burglary", community_id="M2"),
            case("C6", "2025-03-10 12:00:00", **m1),
            case("C7", "2025-12-15 12:00:00", **m1),
            case(
                "C8",
                "2026-03-10 12:00:00",
                station_id="S2",
                community_id="M3",
                kind="dispute",
                category="neighbour_dispute",
            ),
            case("C9", "2026-03-05 12:00:00", kind="other", category="other", **m1),
        ],
    )
    tiny.build(AS_OF)
    return tiny


def test_windows_and_their_comparison_periods(county):
    got = {w: trend(county, AS_OF, "bureau", "B1", w) for w in ("1d", "7d", "28d", "ytd")}
    assert {w: counts(r) for w, r in got.items()} == {
        "1d": (3, 1, 1),  # C1 C2 C8 | C3 | C6
        "7d": (5, 1, 1),  # C1 C2 C3 C8 C9 | C4 | C6
        "28d": (6, 1, 1),  # ... C4 | C5 | C6
        "ytd": (7, 1, 1),  # ... C5 | C7 (2025-10-24..12-31) | C6
    }
    ytd = got["ytd"]
    assert (ytd["current_start_date"], ytd["current_end_date"], ytd["current_days"]) == (
        date(2026, 1, 1),
        AS_OF,
        69,
    )
    assert (ytd["previous_start_date"], ytd["previous_end_date"]) == (
        date(2025, 10, 24),
        date(2025, 12, 31),
    )
    assert (ytd["last_year_start_date"], ytd["last_year_end_date"], ytd["last_year_days"]) == (
        date(2025, 1, 1),
        date(2025, 3, 10),
        69,
    )
    # the history starts 2025-03-10 (C6): enough for 1d last year and the ytd previous period
    assert {w: (r["is_previous_complete"], r["is_last_year_complete"]) for w, r in got.items()} == {
        "1d": (True, True),
        "7d": (True, False),
        "28d": (True, False),
        "ytd": (True, False),
    }
    week = got["7d"]
    assert (week["previous_start_date"], week["previous_end_date"]) == (
        date(2026, 2, 25),
        date(2026, 3, 3),
    )
    assert (week["last_year_start_date"], week["last_year_end_date"]) == (
        date(2025, 3, 4),
        date(2025, 3, 10),
    )


def test_changes_z_and_significance(county):
    day = trend(county, AS_OF, "bureau", "B1", "1d")
    assert day["pct_vs_previous"] == 200.0
    assert day["pct_vs_last_year"] == 200.0
    assert day["poisson_z"] == pytest.approx(2 * (3**0.5 - 1))
    assert (day["previous_flag"], day["is_significant"]) == ("flat", False)  # z = 1.46
    week = trend(county, AS_OF, "bureau", "B1", "7d")
    assert week["poisson_z"] == pytest.approx(2 * (5**0.5 - 1))
    assert week["poisson_z_vs_last_year"] == pytest.approx(2 * (5**0.5 - 1))
    # z = 2.47 alone would flag 5 against 1; the exact test does not: given 6 cases, 5 or more
    # in one half happens with p = 2 * 7/64
    assert week["previous_p"] == pytest.approx(2 * 7 / 64)
    assert (week["previous_flag"], week["is_significant"]) == ("flat", False)
    # last year's 7 days are older than the history: no verdict
    assert (week["last_year_flag"], week["is_significant_vs_last_year"]) == ("incomplete", False)


def test_a_significant_change_is_flagged_in_the_mart(tiny):
    tiny.add("stations", STATIONS)
    history = [case(f"H{i}", "2025-01-05 12:00:00") for i in range(3)]
    previous = [case(f"P{i}", "2026-02-25 12:00:00") for i in range(2)]
    current = [case(f"N{i}", "2026-03-08 12:00:00") for i in range(14)]
    tiny.add("cases", history + previous + current)
    tiny.build(AS_OF)
    week = trend(tiny, AS_OF, "station", "S1", "7d")
    assert counts(week)[:2] == (14, 2)
    assert week["previous_p"] < 0.0455 and week["poisson_z"] >= 2
    assert (week["previous_flag"], week["is_significant"]) == ("up", True)
    quiet = trend(tiny, AS_OF, "station", "S2", "7d")
    assert (quiet["previous_flag"], quiet["is_significant"]) == ("flat", False)


def test_the_region_is_every_bureau_summed(tiny):
    other = [dict(STATIONS[1], station_id="S3", bureau_id="B2", bureau_name="河西区分局")]
    tiny.add("stations", [*STATIONS, *other])
    tiny.add(
        "cases",
        [
            case("A1", "2026-03-10 08:00:00"),
            case("A2", "2026-03-09 08:00:00", station_id="S3"),
            case("A3", "2026-03-10 09:00:00", station_id="S3", category="fraud"),
            case("A4", "2026-03-10 10:00:00", station_id="S9"),  # no bureau: not in the region
        ],
    )
    tiny.build(AS_OF)
    region = trend(tiny, AS_OF, "region", "all", "1d")
    bureaus = [trend(tiny, AS_OF, "bureau", b, "1d") for b in ("B1", "B2")]
    assert counts(region) == (2, 1, 0)
    assert counts(region) == tuple(map(sum, zip(*(counts(b) for b in bureaus), strict=True)))
    assert region["poisson_z"] == pytest.approx(2 * (2**0.5 - 1))
    assert counts(trend(tiny, AS_OF, "region", "all", "1d", "category", "fraud")) == (1, 0, 0)


def test_zero_base_gives_null_percent_never_infinity(county):
    fraud = trend(county, AS_OF, "station", "S1", "1d", "category", "fraud")
    assert counts(fraud) == (1, 0, 0)
    assert fraud["pct_vs_previous"] is None
    assert fraud["pct_vs_last_year"] is None
    assert fraud["poisson_z"] == 2.0
    theft = trend(county, AS_OF, "station", "S1", "1d", "category", "theft")
    assert counts(theft) == (1, 1, 1)
    assert theft["pct_vs_previous"] == 0.0


def test_a_category_that_dropped_to_zero_keeps_its_row(county):
    burglary = trend(county, AS_OF, "station", "S1", "28d", "category", "burglary")
    assert counts(burglary) == (0, 1, 0)
    assert burglary["pct_vs_previous"] == -100.0
    assert burglary["poisson_z"] == -2.0
    # no burglary in any period compared for 1d: no row
    assert trend(county, AS_OF, "station", "S1", "1d", "category", "burglary") is None


def test_totals_exist_for_every_scope_even_without_cases(county):
    quiet = trend(county, AS_OF, "community", "M2", "1d")
    assert counts(quiet) == (0, 0, 0)
    assert quiet["pct_vs_previous"] is None and quiet["poisson_z"] == 0.0
    assert quiet["rate_per_10k"] == 0.0
    # every scope x window has exactly one total row
    assert county.rows(
        "select scope, count(*) from mart_trends where dimension = 'total' "
        "group by scope order by scope"
    ) == [("bureau", 4), ("community", 12), ("region", 4), ("station", 8)]


def test_kind_rows_sit_beside_category_rows(county):
    criminal = trend(county, AS_OF, "station", "S1", "1d", "kind", "criminal")
    assert counts(criminal) == (2, 1, 1)
    # 'other' is both a category and a kind: the dimension tells them apart
    assert counts(trend(county, AS_OF, "station", "S1", "7d", "kind", "other")) == (1, 0, 0)
    assert counts(trend(county, AS_OF, "station", "S1", "7d", "category", "other")) == (1, 0, 0)
    # categories and kinds each add up to the total
    sums = county.rows(
        "select dimension, sum(current_count) from mart_trends where scope = 'bureau' "
        "and time_window = 'ytd' group by dimension order by dimension"
    )
    assert sums == [("category", 7), ("kind", 7), ("total", 7)]


def test_rates_use_the_population_snapshot_in_force(county):
    station = trend(county, AS_OF, "station", "S1", "7d")
    assert station["population"] == 10_000  # M1 4,000 (2026-01-31) + M2 6,000
    assert station["population_snapshot_date"] == date(2026, 2, 28)
    assert station["rate_per_10k"] == pytest.approx(4.0)  # C1 C2 C3 C9
    assert trend(county, AS_OF, "community", "M1", "1d")["rate_per_10k"] == pytest.approx(5.0)
    assert trend(county, AS_OF, "bureau", "B1", "1d")["rate_per_10k"] == pytest.approx(3.0)


def test_no_population_snapshot_gives_a_null_rate(county):
    s2 = trend(county, AS_OF, "station", "S2", "1d")
    assert counts(s2) == (1, 0, 0)
    assert s2["population"] is None and s2["rate_per_10k"] is None
    assert trend(county, AS_OF, "community", "M3", "1d")["rate_per_10k"] is None


def test_population_dated_after_the_day_is_not_used(tiny):
    tiny.add("stations", STATIONS)
    tiny.add("communities", [community("M1", "S1", 125.30, 43.90)])
    tiny.add("population", [population("M1", "2026-03-11", 5000, 0)])
    tiny.add("cases", [case("C1", "2026-03-10 08:00:00", community_id="M1")])
    tiny.build(AS_OF)
    assert trend(tiny, AS_OF, "community", "M1", "1d")["rate_per_10k"] is None


def leap_year_cases(tiny) -> None:
    """One case a day from 2023-02-20 to 2023-03-05 and from 2024-02-20 to 2024-03-05."""
    tiny.add("stations", STATIONS, partition=EARLY)
    days = [date(2023, 2, d) for d in range(20, 29)] + [date(2023, 3, d) for d in range(1, 6)]
    days += [date(2024, 2, d) for d in range(20, 30)] + [date(2024, 3, d) for d in range(1, 6)]
    tiny.add(
        "cases",
        [case(f"C{d.isoformat()}", f"{d.isoformat()} 10:00:00") for d in days],
        partition=EARLY,
    )


def windows_of(tiny, as_of: date) -> dict:
    rows = tiny.frame(
        "select * from mart_trends where as_of_date = $d and scope = 'station' "
        "and scope_id = 'S1' and dimension = 'total'",
        params={"d": as_of},
    )
    return {r["time_window"]: r for r in rows.iter_rows(named=True)}


def test_last_year_of_a_leap_day_ends_on_feb_28(tiny):
    leap_year_cases(tiny)
    as_of = date(2024, 2, 29)
    tiny.build(as_of)
    got = windows_of(tiny, as_of)
    day = got["1d"]
    assert (day["last_year_start_date"], day["last_year_end_date"]) == (
        date(2023, 2, 28),
        date(2023, 2, 28),
    )
    assert counts(day) == (1, 1, 1)
    week = got["7d"]  # 2024-02-23..29 against 2023-02-22..28, both 7 days
    assert (week["last_year_start_date"], week["last_year_end_date"]) == (
        date(2023, 2, 22),
        date(2023, 2, 28),
    )
    assert counts(week) == (7, 3, 7)  # previous 2024-02-16..22: the 20th to 22nd
    ytd = got["ytd"]  # 60 days against 59: Jan 1 .. Feb 28, 2023
    assert (ytd["current_days"], ytd["last_year_days"]) == (60, 59)
    assert ytd["last_year_end_date"] == date(2023, 2, 28)
    assert counts(ytd) == (10, 0, 9)
    assert (ytd["previous_start_date"], ytd["previous_end_date"]) == (
        date(2023, 11, 2),
        date(2023, 12, 31),
    )


def test_the_year_after_a_leap_year_skips_or_includes_feb_29_by_calendar_date(tiny):
    leap_year_cases(tiny)
    tiny.add(
        "cases",
        [case("D1", "2025-02-28 10:00:00"), case("D2", "2025-03-01 10:00:00")],
        partition=EARLY,
    )
    feb_28, mar_1 = date(2025, 2, 28), date(2025, 3, 1)
    tiny.build(feb_28)
    tiny.build(mar_1)
    on_28 = windows_of(tiny, feb_28)
    # last year ends on 2024-02-28: the leap day is not in any window
    assert on_28["ytd"]["last_year_end_date"] == date(2024, 2, 28)
    assert counts(on_28["1d"]) == (1, 0, 1)
    assert counts(on_28["7d"]) == (1, 0, 7)  # 2024-02-22..28
    assert counts(on_28["ytd"]) == (1, 0, 9)  # 2024-01-01..02-28: the 20th to 28th
    on_1 = windows_of(tiny, mar_1)
    # last year ends on 2024-03-01: ytd runs 61 days against 60 and holds the leap day
    assert (on_1["ytd"]["current_days"], on_1["ytd"]["last_year_days"]) == (60, 61)
    assert counts(on_1["1d"]) == (1, 1, 1)  # previous: 2025-02-28
    assert (on_1["7d"]["last_year_start_date"], on_1["7d"]["last_year_end_date"]) == (
        date(2024, 2, 24),
        date(2024, 3, 1),
    )
    assert counts(on_1["7d"]) == (2, 0, 7)  # 2024-02-24..03-01 incl. the 29th
    assert counts(on_1["ytd"]) == (2, 0, 11)  # 2024-02-20..03-01
