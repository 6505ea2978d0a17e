"""Mart models on hand-computed fixtures."""

from __future__ import annotations

from datetime import date

import pytest

from tests.transforms.conftest import STATIONS, case

AS_OF = date(2026, 3, 10)  # a Tuesday


def test_daily_counts_compare_the_day_with_the_previous_seven(tiny):
    tiny.add("stations", STATIONS)
    tiny.add(
        "cases",
        [
            case("C1", "2026-03-10 08:00:00"),
            case("C2", "2026-03-10 09:00:00", category="fraud"),
            case("C3", "2026-03-09 23:59:59"),
            case("C4", "2026-03-03 00:00:00", station_id="S2"),
            case("C5", "2026-03-02 23:00:00"),  # 8 days back: outside the previous 7
        ],
    )
    tiny.build(AS_OF)
    got = {
        (scope, sid, cat): (day, prev)
        for scope, sid, cat, day, prev in tiny.rows(
            "select scope, scope_id, category, day_count, previous_7d_count "
            "from mart_daily_counts where as_of_date = ?",
            [AS_OF],
        )
    }
    assert got[("bureau", "B1", "all")] == (2, 2)
    assert got[("bureau", "B1", "theft")] == (1, 2)
    assert got[("station", "S1", "theft")] == (1, 1)
    assert got[("station", "S2", "theft")] == (0, 1)
    assert got[("station", "S1", "fraud")] == (1, 0)
    # the region is every bureau: here B1's counts
    assert got[("region", "all", "all")] == got[("bureau", "B1", "all")]


def test_time_profile_spreads_each_case_over_its_window(tiny):
    tiny.add("stations", STATIONS)
    tiny.add(
        "cases",
        [
            # 22:30-01:30 over Monday night: 0.5/3 Mon 22h, 1/3 23h, 1/3 Tue 0h, 0.5/3 Tue 1h
            case(
                "C1",
                "2026-03-10 08:00:00",
                occurred_from="2026-03-09 22:30:00",
                occurred_to="2026-03-10 01:30:00",
            ),
            # no window: counts at the reported hour
            case("C2", "2026-03-10 09:15:00"),
            # an instant window
            case(
                "C3",
                "2026-03-10 12:00:00",
                occurred_from="2026-03-10 11:20:00",
                occurred_to="2026-03-10 11:20:00",
                station_id="S2",
            ),
        ],
    )
    tiny.build(AS_OF)
    rows = tiny.rows(
        "select weekday, hour, weight from mart_time_profile "
        "where as_of_date = ? and scope = 'station' and scope_id = 'S1' and weight > 0 "
        "order by weekday, hour",
        [AS_OF],
    )
    assert [(d, h) for d, h, _ in rows] == [(1, 22), (1, 23), (2, 0), (2, 1), (2, 9)]
    weights = [w for _, _, w in rows]
    assert weights == pytest.approx([1 / 6, 1 / 3, 1 / 3, 1 / 6, 1.0])
    totals = dict(
        tiny.rows(
            "select scope_id, sum(weight) from mart_time_profile "
            "where as_of_date = ? group by scope_id",
            [AS_OF],
        )
    )
    assert totals["S1"] == pytest.approx(2.0)
    assert totals["S2"] == pytest.approx(1.0)
    assert totals["B1"] == pytest.approx(3.0)
    assert totals["all"] == pytest.approx(3.0)  # the region: every bureau
    # every scope (S1, S2, B1 and the region) has all 7 x 24 cells
    assert tiny.rows("select count(*) from mart_time_profile where as_of_date = ?", [AS_OF]) == [
        (168 * 4,)
    ]


def test_time_profile_caps_very_long_windows(tiny):
    tiny.add("stations", STATIONS)
    tiny.add(
        "cases",
        [
            case(
                "C1",
                "2026-03-10 08:00:00",
                occurred_from="2026-03-01 00:00:00",
                occurred_to="2026-03-10 00:00:00",
            )
        ],
    )
    tiny.settings = tiny.settings.__class__(home=tiny.settings.home, aoristic_max_window_hours=4)
    tiny.build(AS_OF)
    rows = tiny.rows(
        "select weekday, hour, weight from mart_time_profile where as_of_date = ? "
        "and scope = 'station' and scope_id = 'S1' and weight > 0 order by weekday, hour",
        [AS_OF],
    )
    # 2026-03-01 is a Sunday: the first 4 hours, a quarter each
    assert rows == [(7, 0, 0.25), (7, 1, 0.25), (7, 2, 0.25), (7, 3, 0.25)]


def test_marts_keep_earlier_days_and_replace_a_rerun_day(tiny):
    tiny.add("stations", STATIONS)
    tiny.add("cases", [case("C1", "2026-03-09 08:00:00"), case("C2", "2026-03-10 08:00:00")])
    tiny.build(date(2026, 3, 9))
    tiny.build(AS_OF)
    tiny.build(AS_OF)
    assert tiny.rows("select as_of_date, count(*) from mart_day_cases group by 1 order by 1") == [
        (date(2026, 3, 9), 1),
        (AS_OF, 1),
    ]
