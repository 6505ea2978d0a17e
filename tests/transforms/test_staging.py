"""Staging models: latest record wins, personal data never passes, coordinates in WGS-84."""

from __future__ import annotations

from datetime import date

from tests.transforms.conftest import STATIONS, case


def test_stg_cases_keeps_the_latest_record_of_each_case(tiny):
    tiny.add("stations", STATIONS)
    tiny.add("cases", [case("C1", "2026-03-01 10:00:00")], partition=date(2026, 3, 1))
    tiny.add(
        "cases",
        [
            case("C1", "2026-03-01 10:00:00", status="solved", updated_at="2026-03-03 09:00:00"),
            case("C2", "2026-03-02 22:30:00"),
        ],
        partition=date(2026, 3, 3),
    )
    tiny.build(date(2026, 3, 3), upto="stg_cases")
    assert tiny.rows("select case_id, status from stg_cases order by case_id") == [
        ("C1", "solved"),
        ("C2", "accepted"),
    ]
    assert tiny.rows("select count(*) from stg_case_history") == [(3,)]


def test_stg_cases_ignores_deliveries_after_the_as_of_date(tiny):
    tiny.add("cases", [case("C1", "2026-03-01 10:00:00")], partition=date(2026, 3, 1))
    tiny.add(
        "cases",
        [case("C1", "2026-03-01 10:00:00", status="closed", updated_at="2026-03-05 08:00:00")],
        partition=date(2026, 3, 5),
    )
    tiny.build(date(2026, 3, 2), upto="stg_cases")
    assert tiny.rows("select status from stg_cases") == [("accepted",)]


def test_personal_data_is_dropped_at_staging(tiny):
    tiny.add(
        "cases",
        [
            case(
                "C1",
                "2026-03-01 10:00:00",
                reporter_name="张三",
                reporter_phone="13812345678",
                summary="张三 13812345678",
            )
        ],
    )
    tiny.build(date(2026, 3, 1))
    for table in ("stg_cases", "stg_case_history", "mart_day_cases"):
        columns = {row[0] for row in tiny.rows(f"describe {table}")}
        assert not columns & {
            "summary",
            "reporter_name",
            "reporter_phone",
            "reporter_id_card",
            "suspect_name",
            "suspect_id_card",
        }, table


def test_gcj02_points_are_moved_back_to_wgs84(tiny):
    # 125.30645821, 43.90236250 is WGS-84 (125.3, 43.9) shifted by the GCJ-02 forward transform
    tiny.add(
        "cases",
        [
            case(
                "C1", "2026-03-01 10:00:00", lon=125.30645821, lat=43.90236250, coord_system="GCJ02"
            ),
            case("C2", "2026-03-01 10:00:00", lon=125.3, lat=43.9),
        ],
    )
    tiny.build(date(2026, 3, 1), upto="stg_cases")
    rows = dict((r[0], r[1:]) for r in tiny.rows("select case_id, lon, lat from stg_cases"))
    lon, lat = rows["C1"]
    assert abs(lon - 125.3) < 3e-5 and abs(lat - 43.9) < 3e-5  # within about 2.5 m
    assert rows["C2"] == (125.3, 43.9)


def test_reference_comes_from_the_latest_delivery(tiny):
    tiny.add("stations", STATIONS, partition=date(2026, 1, 1))
    tiny.add("stations", [dict(STATIONS[0], officer_count=30)], partition=date(2026, 2, 1))
    tiny.build(date(2026, 2, 1), upto="stg_stations")
    assert tiny.rows("select station_id, officer_count from stg_stations") == [("S1", 30)]
    tiny.build(date(2026, 1, 15), upto="stg_stations")
    assert tiny.rows("select count(*) from stg_stations") == [(2,)]
