"""The station scorecard against the policy's norms, on a hand-made county."""

from __future__ import annotations

from datetime import date

import pytest

from tests.transforms.conftest import STATIONS, case
from tests.transforms.test_grid import community
from tests.transforms.test_patrol import build

AS_OF = date(2026, 6, 30)  # window 06-03..06-30, previous 05-06..06-02


def station(station_id: str, station_type: str, officers: int, **fields) -> dict:
    """A station of bureau B1 (county, 100 officers) unless told otherwise."""
    return {
        **STATIONS[0],
        "station_id": station_id,
        "station_type": station_type,
        "officer_count": officers,
        **fields,
    }


def population(community_id: str, snapshot: str, residents: int) -> dict:
    """A population snapshot with all residents registered."""
    return {
        "community_id": community_id,
        "as_of_date": snapshot,
        "registered_residents": residents,
        "floating_residents": 0,
        "rental_households": 0,
    }


@pytest.fixture
def county(tiny):
    """Four stations exactly on or just off their norms, S1's communities, cases, callbacks."""
    tiny.add(
        "stations",
        [
            station("S1", "urban", 20),  # exactly the urban norm: passes
            station("S2", "town", 10),  # exactly the town norm: passes
            station("S3", "township", 4),  # one below the township norm
            station("S4", "township", 6),
            # B1's stations hold 40 of its 100 officers: exactly the county norm of 40%
            station(
                "S5",
                "urban",
                25,
                bureau_id="B2",
                bureau_type="urban_district",
                bureau_officer_count=60,
                lon=125.4,
            ),
        ],
    )
    lon, lat = 125.30, 43.90
    tiny.add(
        "communities",
        [
            community("C1", "S1", lon, lat),  # urban, office, 1 officer
            community("C2", "S1", lon + 0.01, lat, office_officer_count=2),
            community(
                "C3",
                "S1",
                lon,
                lat + 0.01,
                area_type="rural",
                has_police_office=False,
                office_officer_count=0,
                is_remote=True,
            ),
            community("C4", "S1", lon + 0.01, lat + 0.01, office_officer_count=0),
            community("C5", "S1", lon + 0.02, lat, area_type="rural"),
        ],
    )
    tiny.add(
        "population",
        [
            population("C1", "2026-06-01", 5000),  # 5,000 per officer: exactly the norm
            population("C1", "2026-07-01", 9000),  # after as_of: not used
            population("C2", "2026-06-01", 10002),  # 5,001 per officer: over
            population("C3", "2026-06-01", 2000),  # residents and no officer: fails
            population("C5", "2026-06-01", 3000),  # rural norm 3,000: exactly
            # C4 has no snapshot at all
        ],
    )
    c2 = {"community_id": "C2"}
    tiny.add(
        "cases",
        [
            case("H0", "2026-01-01 10:00:00", station_id="S2"),  # the history's first case
            case("Z1", "2026-03-22 10:00:00", community_id="C1"),  # 100 days before as_of
            case("Z5", "2026-04-02 10:00:00", community_id="C5"),  # 89 days before
            case("D1", "2026-06-25 10:00:00", community_id="C1", kind="dispute"),
            case("P1", "2026-06-30 09:00:00", kind="public_order", **c2),  # today
            # the window: 4 criminal cases, 2 of the five types (1 cleared), 2 for the brigade
            case("K1", "2026-06-10 10:00:00", five_type="caught_on_spot", status="solved", **c2),
            case("K2", "2026-06-11 10:00:00", five_type="surrender", status="filed", **c2),
            case("K3", "2026-06-12 10:00:00", handled_by="criminal_brigade", **c2),
            case("K4", "2026-06-13 10:00:00", handled_by="criminal_brigade", status="closed", **c2),
            # the previous period: 1 five-type case, closed
            case("K0", "2026-05-20 10:00:00", five_type="brought_in", status="closed", **c2),
            # disputes: 4 in the window (3 resolved), 1 unresolved before it
            *[
                case(
                    f"T{k}",
                    f"2026-06-{14 + k} 10:00:00",
                    kind="dispute",
                    **c2,
                    is_dispute_resolved=k < 3,
                )
                for k in range(4)
            ],
            case("T9", "2026-05-25 10:00:00", kind="dispute", is_dispute_resolved=False, **c2),
            # callbacks by callback date
            *[
                case(
                    f"B{k}",
                    "2026-05-30 10:00:00",
                    kind="other",
                    **c2,
                    callback_result=result,
                    callback_at=f"2026-06-0{5 + k} 10:00:00",
                )
                for k, result in enumerate(
                    ["satisfied", "basically_satisfied", "dissatisfied", "unreachable"]
                )
            ],
            case(
                "B9",
                "2026-05-10 10:00:00",
                kind="other",
                callback_result="satisfied",
                callback_at="2026-05-11 10:00:00",
                **c2,
            ),
        ],
    )
    build(tiny, AS_OF)
    return tiny


def card(tiny, station_id: str) -> dict:
    """One station's scorecard row."""
    [row] = tiny.frame(
        "select * from mart_station_scorecard where as_of_date = $d and station_id = $s",
        params={"d": AS_OF, "s": station_id},
    ).iter_rows(named=True)
    return row


def community_card(tiny, community_id: str) -> dict:
    """One community's scorecard row."""
    [row] = tiny.frame(
        "select * from mart_community_scorecard where as_of_date = $d and community_id = $c",
        params={"d": AS_OF, "c": community_id},
    ).iter_rows(named=True)
    return row


def test_the_contract_columns_are_there(county):
    columns = county.frame("select * from mart_station_scorecard limit 0").columns
    for name in [
        "as_of_date",
        "station_id",
        "station_type",
        "officer_count",
        "officer_norm",
        "meets_officer_norm",
        "residents_per_community_officer",
        "office_coverage_pct",
        "zero_incident_communities",
    ]:
        assert name in columns


def test_officer_norms_pass_on_the_threshold_and_fail_below(county):
    got = {
        s: (card(county, s)["officer_norm"], card(county, s)["meets_officer_norm"])
        for s in ["S1", "S2", "S3", "S4", "S5"]
    }
    assert got == {
        "S1": (20, True),
        "S2": (10, True),
        "S3": (5, False),
        "S4": (5, True),
        "S5": (20, True),
    }
    assert card(county, "S3")["is_first_class_eligible"] is False


def test_station_force_share_is_the_bureaus_figure_on_every_row(county):
    for s in ["S1", "S2", "S3", "S4"]:
        row = card(county, s)
        assert row["bureau_station_officers"] == 40
        assert row["bureau_force_share"] == pytest.approx(0.40)
        assert row["force_share_norm"] == pytest.approx(0.40)
        assert row["meets_force_share_norm"] is True  # exactly 40%
    s5 = card(county, "S5")
    assert s5["bureau_force_share"] == pytest.approx(25 / 60)
    assert (s5["force_share_norm"], s5["meets_force_share_norm"]) == (0.5, False)


def test_residents_per_community_officer_by_community(county):
    c1, c2, c3, c4, c5 = (community_card(county, c) for c in ["C1", "C2", "C3", "C4", "C5"])
    assert (c1["actual_residents"], c1["residents_per_community_officer"]) == (5000, 5000.0)
    assert c1["meets_residents_norm"] is True  # exactly 5,000 passes
    assert c2["residents_per_community_officer"] == pytest.approx(5001.0)
    assert c2["meets_residents_norm"] is False
    assert c3["residents_per_community_officer"] is None  # no officer: no rate ...
    assert c3["meets_residents_norm"] is False  # ... but residents without one fail
    assert c4["has_population"] is False  # no snapshot: said so, no rate, no verdict
    assert c4["residents_per_community_officer"] is None
    assert c4["meets_residents_norm"] is None
    assert (c5["residents_norm"], c5["meets_residents_norm"]) == (3000.0, True)


def test_the_station_rolls_up_residents_and_offices(county):
    s1 = card(county, "S1")
    assert s1["communities"] == 5
    assert s1["communities_without_population"] == 1
    assert s1["residents"] == 5000 + 10002 + 2000 + 3000
    assert s1["residents_per_community_officer"] == pytest.approx(20002 / 4)
    assert s1["urban_residents_per_community_officer"] == pytest.approx(15002 / 3)
    assert s1["rural_residents_per_community_officer"] == pytest.approx(5000 / 1)
    assert s1["communities_over_residents_norm"] == 2
    assert s1["meets_residents_norm"] is False
    # offices: C1, C2, C5 have one with an officer; C4's has none (not "一室一警"); C3 has none
    assert (s1["communities_with_office"], s1["staffed_offices"]) == (4, 3)
    assert s1["offices_without_officer"] == 1
    assert s1["office_coverage_pct"] == pytest.approx(60.0)
    assert s1["meets_office_coverage_norm"] is False
    assert (s1["must_build_communities"], s1["must_build_lacking_office"]) == (1, 1)
    assert s1["meets_must_build_norm"] is False
    lacking = county.rows(
        "select community_id from mart_community_scorecard where is_must_build_lacking_office"
    )
    assert lacking == [("C3",)]


def test_a_station_without_communities_gets_nulls_not_errors(county):
    s2 = card(county, "S2")
    assert s2["communities"] == 0
    assert s2["office_coverage_pct"] is None
    assert s2["residents_per_community_officer"] is None
    assert s2["meets_residents_norm"] is None
    assert s2["zero_incident_communities"] == 0


def test_zero_incident_streaks(county):
    days = {
        c: (r["zero_incident_days"], r["is_zero_incident"], r["is_streak_since_history_start"])
        for c in ["C1", "C2", "C3", "C4", "C5"]
        for r in [community_card(county, c)]
    }
    since_history = (AS_OF - date(2026, 1, 1)).days + 1
    assert days == {
        "C1": (100, True, False),  # a dispute since does not break it
        "C2": (0, False, False),  # a public-order case today
        "C3": (since_history, True, True),
        "C4": (since_history, True, True),
        "C5": (89, False, False),  # one day short of 90
    }
    s1 = card(county, "S1")
    assert s1["zero_incident_communities"] == 3
    assert s1["longest_zero_incident_days"] == since_history


def test_cases_disputes_callbacks_and_the_four_kpis(county):
    s1 = card(county, "S1")
    assert (s1["criminal_cases"], s1["five_type_cases"], s1["five_type_cleared"]) == (4, 2, 1)
    assert s1["five_type_share"] == pytest.approx(0.5)
    assert s1["clearance_rate"] == pytest.approx(0.5)
    assert (s1["previous_five_type_share"], s1["previous_clearance_rate"]) == (1.0, 1.0)
    # C2's 4 disputes (3 resolved) and C1's, still pending: it counts as not resolved
    assert (s1["disputes"], s1["disputes_resolved"]) == (5, 3)
    assert s1["dispute_resolution_rate"] == pytest.approx(0.6)
    assert s1["repeat_dispute_communities"] == 1  # C2: 5 disputes in 90 days
    assert (s1["callbacks_reached"], s1["callbacks_satisfied"]) == (3, 2)
    assert s1["satisfaction_rate"] == pytest.approx(2 / 3)
    # 发案少: 4 criminal cases against 1 before
    assert (s1["kpi_few_cases"], s1["previous_kpi_few_cases"]) == (4, 1)
    assert s1["kpi_few_cases_change"] == 3
    assert s1["kpi_few_cases_z"] == pytest.approx(2.0)
    assert s1["kpi_few_cases_improved"] is False
    # 秩序好: 1 public-order case against 0
    assert (s1["kpi_good_order"], s1["previous_kpi_good_order"]) == (1, 0)
    assert s1["kpi_good_order_improved"] is False
    # 社会稳定: 60% of disputes resolved against 0%
    assert s1["kpi_stability"] == pytest.approx(0.6)
    assert s1["kpi_stability_change"] == pytest.approx(60.0)
    assert s1["kpi_stability_improved"] is True
    # 群众满意: 2 of 3 reached against 1 of 1
    assert s1["kpi_satisfaction_change"] == pytest.approx(-100 / 3)
    assert s1["kpi_satisfaction_improved"] is False
    # a station with no cases at all: counts 0, rates null, no verdict on the rates
    s4 = card(county, "S4")
    assert (s4["kpi_few_cases"], s4["kpi_few_cases_improved"]) == (0, False)
    assert s4["kpi_stability"] is None and s4["kpi_stability_improved"] is None


def kpis(tiny, scope: str, scope_id: str) -> dict:
    """One scope's mart_kpis row."""
    [row] = tiny.frame(
        "select * from mart_kpis where as_of_date = $d and scope = $s and scope_id = $i",
        params={"d": AS_OF, "s": scope, "i": scope_id},
    ).iter_rows(named=True)
    return row


def test_kpis_pool_a_bureaus_stations_from_their_numerators(county):
    bureau, region = kpis(county, "bureau", "B1"), kpis(county, "region", "all")
    assert (bureau["stations"], region["stations"]) == (4, 5)
    assert bureau["is_previous_complete"] is True
    # 发案少: S1's 4 criminal cases against 1; z = 2.0, yet 4 of 5 in one half is noise
    assert (bureau["kpi_few_cases"], bureau["previous_kpi_few_cases"]) == (4, 1)
    assert bureau["kpi_few_cases_change"] == 3 and bureau["kpi_few_cases_z"] == pytest.approx(2.0)
    assert bureau["kpi_few_cases_p"] == pytest.approx(2 * 6 / 32)
    assert bureau["kpi_few_cases_flag"] == "flat"
    # rates from the summed numerators, the previous window's too
    assert (bureau["disputes"], bureau["disputes_resolved"]) == (5, 3)
    assert (bureau["previous_disputes"], bureau["previous_disputes_resolved"]) == (1, 0)
    assert (bureau["kpi_stability"], bureau["previous_kpi_stability"]) == (0.6, 0.0)
    assert bureau["kpi_stability_change"] == pytest.approx(60.0)
    assert bureau["kpi_stability_flag"] == "better"
    assert bureau["kpi_satisfaction"] == pytest.approx(2 / 3)
    assert bureau["previous_kpi_satisfaction"] == 1.0
    assert bureau["kpi_satisfaction_flag"] == "worse"
    # the region adds S5, which had no case: the same figures
    assert region["kpi_stability"] == bureau["kpi_stability"]
    assert region["kpi_few_cases_flag"] == bureau["kpi_few_cases_flag"]
    # a station's row is its own scorecard figures
    s1, s4 = kpis(county, "station", "S1"), kpis(county, "station", "S4")
    assert (s1["kpi_few_cases"], s1["kpi_stability"]) == (4, 0.6)
    assert (s4["kpi_stability"], s4["kpi_stability_flag"]) == (None, "no_previous")


def test_the_league_ranks_every_station_on_the_four_kpis(county):
    rows = county.rows(
        "select scope_id, rank_few_cases, rank_good_order, rank_stability, mean_rank, "
        "league_place from mart_kpis where as_of_date = ? and scope = 'station' "
        "order by league_place",
        [AS_OF],
    )
    # S1 has the most cases (rank 5 on both counts) but the only known dispute rate (rank 1);
    # the others tie on the counts and have no rates, so their mean is 1 and ids break the tie
    assert rows == [
        ("S2", 1, 1, None, 1.0, 1),
        ("S3", 1, 1, None, 1.0, 2),
        ("S4", 1, 1, None, 1.0, 3),
        ("S5", 1, 1, None, 1.0, 4),
        ("S1", 5, 5, 1, 3.0, 5),
    ]


def test_a_bureau_counts_its_stations_that_meet_every_norm_they_have_a_figure_for(county):
    norms = (
        "meets_officer_norm",
        "meets_force_share_norm",
        "meets_residents_norm",
        "meets_office_coverage_norm",
        "meets_must_build_norm",
    )
    cards = county.frame(
        "select * from mart_station_scorecard where as_of_date = $d", params={"d": AS_OF}
    ).to_dicts()
    for bureau_id, met in (("B1", 2), ("B2", 0)):
        flags = [
            [c[n] for n in norms if c[n] is not None] for c in cards if c["bureau_id"] == bureau_id
        ]
        assert sum(1 for known in flags if known and all(known)) == met
        row = kpis(county, "bureau", bureau_id)
        assert (row["stations_meeting_norms"], row["stations"]) == (met, len(flags))
    # S3 is one officer below the township norm: it cannot meet them all
    assert kpis(county, "station", "S3")["stations_meeting_norms"] == 0
