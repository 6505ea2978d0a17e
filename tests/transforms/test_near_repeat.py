"""Near repeat: the Knox test on a hand-computable set, its permutations (deterministic, and
unbiased against the exact Knox expectation), and the alert zones around recent cases."""

from __future__ import annotations

import dataclasses
import itertools
import math
from datetime import date, timedelta

import numpy as np
import pytest

from tests.transforms.conftest import case
from tests.transforms.test_grid import Box
from transforms.runner import discover_models, model_parameters, run_model

AS_OF = date(2026, 3, 10)
BOX = Box(4000.0, 4000.0)
DISTANCE_BANDS = ((0.0, 100.0), (100.0, 200.0), (200.0, 400.0))  # (lower, upper]; 0 in the first
TIME_BANDS = ((0, 7), (8, 14), (15, 30))  # whole days, both ends included


def event(case_id: str, x: float, y: float, day: str, category: str = "burglary", **fields):
    """A case x, y metres from the box's south-west corner, reported at 10:00 on day (fields
    override anything, e.g. lon=None)."""
    row = case(case_id, f"{day} 10:00:00", category=category, lon=BOX.lon_at(x), lat=BOX.lat_at(y))
    row.update(fields)
    return row


# A..H by hand: distances in metres and gaps in days of every pair within 400 m and 30 days
HAND_SET = [
    ("A", 100, 100, "2026-03-01"),
    ("B", 150, 100, "2026-03-04"),
    ("C", 100, 250, "2026-02-19"),
    ("D", 400, 100, "2026-02-09"),
    ("E", 1500, 1500, "2026-03-02"),  # far from everyone
    ("F", 100, 100, "2026-03-08"),  # on top of A, 7 days later
    ("G", 180, 100, "2026-02-21"),
    ("H", 100, 130, "2026-01-30"),
]
# (distance band, time band) -> pairs:
#   (1,1) AB 50 m 3 d, AF 0 m 7 d, BF 50 m 4 d        (1,2) AG 80 m 8 d, BG 30 m 11 d
#   (1,3) FG 80 m 15 d, AH 30 m 30 d, GH 85 m 22 d     (2,1) CG 170 m 2 d
#   (2,2) AC 150 m 10 d, BC 158 m 13 d                 (2,3) CF 150 m 17 d, CH 120 m 20 d
#   (3,2) CD 335 m 10 d, DG 220 m 12 d, DH 302 m 10 d  (3,3) AD 300 m 20 d, BD 250 m 23 d,
#   DF 300 m 27 d; none in (3,1); BH (58 m, 33 d) and FH (30 m, 37 d) are too far apart in time
HAND_COUNTS = {
    (1, 1): 3, (1, 2): 2, (1, 3): 3,
    (2, 1): 1, (2, 2): 2, (2, 3): 2,
    (3, 1): 0, (3, 2): 3, (3, 3): 3,
}  # fmt: skip


def build_near_repeat(tiny, cases: list[dict], **settings) -> None:
    tiny.settings = dataclasses.replace(tiny.settings, **settings)
    tiny.add("stations", BOX.stations())
    tiny.add("cases", cases)
    tiny.build(AS_OF)


def knox(tiny) -> dict[tuple[str, int, int], dict]:
    frame = tiny.frame("select * from mart_near_repeat where as_of_date = $d", {"d": AS_OF})
    return {
        (r["category"], r["distance_band"], r["time_band"]): r for r in frame.iter_rows(named=True)
    }


def hand_cases() -> list[dict]:
    return [
        *(event(cid, x, y, day) for cid, x, y, day in HAND_SET),
        event("NOXY", 100, 100, "2026-03-05", lon=None, lat=None),  # no coordinates
        event("OLD", 100, 100, "2025-09-11"),  # the 181st day back: outside the lookback
        *(event(f"T{k}", 100 + 10 * k, 100, "2026-03-05", category="theft") for k in range(3)),
    ]


def test_knox_observed_counts_by_hand(tiny):
    build_near_repeat(tiny, hand_cases(), near_repeat_min_events=5)
    got = knox(tiny)
    assert {k[0] for k in got} == {"burglary"}  # 3 thefts are too few
    assert len(got) == 9
    assert {(d, t): r["pairs_observed"] for (_, d, t), r in got.items()} == HAND_COUNTS
    row = got[("burglary", 1, 1)]
    assert row["events"] == 8
    assert (row["lookback_start_date"], row["first_event_date"], row["last_event_date"]) == (
        date(2025, 9, 12),
        date(2026, 1, 30),
        date(2026, 3, 8),
    )
    assert (row["distance_min_m"], row["distance_max_m"], row["time_min_days"]) == (0, 100, 0)
    assert row["permutations"] == 99


def band_counts(x: np.ndarray, y: np.ndarray, days: np.ndarray) -> np.ndarray:
    """3 x 3 Knox counts over all pairs; days may hold one row of dates per permutation, which
    gives one 3 x 3 table per row."""
    i, j = np.triu_indices(len(x), 1)
    dist = np.hypot(x[i] - x[j], y[i] - y[j])
    d_band = np.full(dist.shape, -1)
    for b, (lo, hi) in enumerate(DISTANCE_BANDS):
        d_band[((dist > lo) | (dist == 0)) & (dist <= hi) & (d_band < 0)] = b
    gap = np.abs(days[..., i] - days[..., j])
    t_band = np.full(gap.shape, -1)
    for b, (lo, hi) in enumerate(TIME_BANDS):
        t_band[(gap >= lo) & (gap <= hi)] = b
    cell = np.where((d_band >= 0) & (t_band >= 0), d_band * 3 + t_band, 9)
    flat = np.atleast_2d(cell)
    counts = np.array([np.bincount(row, minlength=10)[:9] for row in flat]).reshape(-1, 3, 3)
    return counts[0] if np.ndim(days) == 1 else counts


def permuted_counts(tiny, seed: int, permutations: int) -> tuple[np.ndarray, np.ndarray]:
    """Observed and per-permutation counts, recomputed in numpy from the events and the hash
    ranks the model uses (the ranks are the only part taken from DuckDB)."""
    events = tiny.frame(
        "select case_id, x_m, y_m, event_date - $d as day from int_case_points "
        "where category = 'burglary' and has_point and reported_date > $d - 180 order by case_id",
        {"d": AS_OF},
    )
    ranks = tiny.frame(
        "select k, case_id, row_number() over (partition by k "
        "order by hash(hash($seed::bigint, k::integer, case_id)), case_id) as r "
        "from range(1, $n + 1) as t (k), (select unnest($ids) as case_id) order by k, case_id",
        {"seed": seed, "n": permutations, "ids": events["case_id"].to_list()},
    )
    x, y = events["x_m"].to_numpy(), events["y_m"].to_numpy()
    days = events["day"].to_numpy()
    r = ranks["r"].to_numpy().reshape(permutations, len(days))  # case_id order in both
    return band_counts(x, y, days), band_counts(x, y, days[r - 1])


def test_knox_ratio_and_p_value_from_the_permutations(tiny):
    build_near_repeat(tiny, hand_cases(), near_repeat_min_events=5)
    got = knox(tiny)
    observed, perms = permuted_counts(tiny, tiny.settings.near_repeat_seed, 99)
    assert observed.tolist() == [[HAND_COUNTS[(d, t)] for t in (1, 2, 3)] for d in (1, 2, 3)]
    for d, t in itertools.product(range(3), range(3)):
        row = got[("burglary", d + 1, t + 1)]
        expected = perms[:, d, t].mean()
        assert row["pairs_expected"] == pytest.approx(expected, rel=1e-12)
        assert row["knox_ratio"] == (
            pytest.approx(observed[d, t] / expected, rel=1e-12) if expected > 0 else None
        )
        p = (1 + (perms[:, d, t] >= observed[d, t]).sum()) / 100
        assert row["p_value"] == pytest.approx(p, rel=1e-12)
        assert row["is_significant"] == (p <= 0.05 and observed[d, t] > expected)


def test_permutations_are_deterministic_per_seed(tiny):
    build_near_repeat(tiny, hand_cases(), near_repeat_min_events=5)
    first = tiny.frame("select * from mart_near_repeat order by all")
    tiny.build(AS_OF)  # the same day again, same seed: the same numbers
    assert tiny.frame("select * from mart_near_repeat order by all").rows() == first.rows()
    tiny.settings = dataclasses.replace(tiny.settings, near_repeat_seed=7)
    tiny.build(AS_OF)
    other = tiny.frame("select * from mart_near_repeat order by all")
    assert other["pairs_observed"].to_list() == first["pairs_observed"].to_list()
    assert other["pairs_expected"].to_list() != first["pairs_expected"].to_list()
    assert set(other["permutation_seed"].to_list()) == {7}


def test_the_permutation_mean_is_the_exact_knox_expectation(tiny):
    """Each spatial pair gets a uniformly drawn pair of the event dates under a random
    permutation, so E[count(d, t)] = P_d * T_t / C(n, 2) exactly; the mean of many hash
    permutations must agree (DuckDB's multi-argument hash alone failed this by 5-8 SE)."""
    rng = np.random.default_rng(8)
    n = 60
    xy = rng.uniform(0, 900, size=(n, 2))
    days = rng.integers(0, 120, size=n)
    build_near_repeat(
        tiny,
        [
            event(f"E{k:02d}", x, y, (AS_OF - timedelta(days=int(d))).isoformat())
            for k, ((x, y), d) in enumerate(zip(xy, days, strict=True))
        ],
        near_repeat_min_events=5,
        near_repeat_permutations=1999,
    )
    got = knox(tiny)
    observed, perms = permuted_counts(tiny, tiny.settings.near_repeat_seed, 1999)
    x, y, day = xy[:, 0], xy[:, 1], -days
    pairs = list(itertools.combinations(range(n), 2))
    dist = np.array([math.hypot(x[i] - x[j], y[i] - y[j]) for i, j in pairs])
    gap = np.array([abs(int(day[i] - day[j])) for i, j in pairs])
    for d, t in itertools.product(range(3), range(3)):
        (dlo, dhi), (tlo, thi) = DISTANCE_BANDS[d], TIME_BANDS[t]
        p_d = np.sum((dist > dlo) & (dist <= dhi))
        t_t = np.sum((gap >= tlo) & (gap <= thi))
        exact = p_d * t_t / len(pairs)
        mean = got[("burglary", d + 1, t + 1)]["pairs_expected"]
        assert mean == pytest.approx(perms[:, d, t].mean(), rel=1e-12)
        assert abs(mean - exact) <= 4 * perms[:, d, t].std() / math.sqrt(1999), (d, t)


# ---- alerts --------------------------------------------------------------------------------


def spread(category: str, count: int) -> list[dict]:
    """Cases 600 m apart on a lattice (no pair within 400 m), one every 4 days from 4 days
    before AS_OF back."""
    points = [(200 + 600 * i, 200 + 600 * j) for j in range(6) for i in range(6)][:count]
    return [
        event(f"{category[:2].upper()}{k:02d}", x, y, day(4 * (k + 1)), category=category)
        for k, (x, y) in enumerate(points)
    ]


def day(offset: int) -> str:
    return (AS_OF - timedelta(days=offset)).isoformat()


def alert_cases() -> list[dict]:
    # a burglary series: five cases within 40 m of each other over six days -> 10 pairs in
    # (0-100 m, 0-7 days), where the 41 other burglaries, 600 m apart, add none
    series = [
        event("NR1", 3600, 3600, day(6)),
        event("NR2", 3620, 3600, day(5)),
        event("NR3", 3600, 3620, day(4)),
        event("NR4", 3580, 3590, day(2)),
        event("NR5", 3610, 3585, day(1), station_id="S2"),
    ]
    return [
        *spread("burglary", 36),
        *series,
        # reported today, but it happened 10 days ago: its 7-day zone has already expired
        event(
            "LATE", 3500, 1100, day(0),
            occurred_from=f"{day(10)} 01:00:00", occurred_to=f"{day(10)} 03:00:00",
        ),
        event("NOXY", 3600, 3600, day(1), lon=None, lat=None),  # no place, no zone
        # thefts, one of them today, with no near-repeat pattern
        *spread("theft", 12),
        event("THEFT", 3700, 3700, day(0), category="theft"),
    ]  # fmt: skip


def test_alerts_surround_recent_cases_of_significant_categories(tiny):
    build_near_repeat(tiny, alert_cases(), near_repeat_min_events=5)
    got = knox(tiny)
    significant = {k for k, r in got.items() if r["is_significant"]}
    assert significant == {("burglary", 1, 1)}
    assert got[("burglary", 1, 1)]["pairs_observed"] == 10
    assert got[("burglary", 1, 1)]["p_value"] == pytest.approx(0.01)
    assert got[("theft", 1, 1)]["pairs_observed"] == 0
    assert got[("theft", 1, 1)]["knox_ratio"] is None
    alerts = tiny.frame(
        "select * from mart_near_repeat_alerts where as_of_date = $d order by source_case_id",
        {"d": AS_OF},
    )
    # only the series' cases of the last 3 days (the 2nd-to-last day counts; 4 days back not)
    assert alerts["source_case_id"].to_list() == ["NR4", "NR5"]
    nr4, nr5 = alerts.iter_rows(named=True)
    assert (nr4["category"], nr4["station_id"], nr5["station_id"]) == ("burglary", "S1", "S2")
    assert (nr4["radius_m"], nr4["distance_band"], nr4["time_band"]) == (100.0, 1, 1)
    assert nr4["valid_until"] == AS_OF - timedelta(days=2) + timedelta(days=7)
    assert nr5["valid_until"] == AS_OF + timedelta(days=6)
    assert (nr4["center_lon"], nr4["center_lat"]) == pytest.approx(
        (BOX.lon_at(3580), BOX.lat_at(3590)), abs=1e-9
    )
    assert nr4["knox_ratio"] == pytest.approx(got[("burglary", 1, 1)]["knox_ratio"])
    assert nr4["p_value"] == pytest.approx(0.01)
    assert nr4["alert_id"] == "NR4:1:1" and nr4["zone_rank"] == 1


def test_no_alerts_without_a_significant_band(tiny):
    build_near_repeat(tiny, spread("burglary", 36), near_repeat_min_events=5)
    assert not any(r["is_significant"] for r in knox(tiny).values())
    assert tiny.rows("select count(*) from mart_near_repeat_alerts") == [(0,)]


def test_event_date_is_the_middle_of_the_occurrence_window(tiny):
    tiny.add("stations", BOX.stations())
    tiny.add(
        "cases",
        [
            event("W1", 100, 100, "2026-03-10",
                  occurred_from="2026-03-08 22:00:00", occurred_to="2026-03-09 04:00:00"),
            event("W2", 100, 100, "2026-03-10"),  # no window: the reported time
            # a 10-day window is cut to its first 72 hours, whose middle is day 2
            event("W3", 100, 100, "2026-03-10",
                  occurred_from="2026-02-20 00:00:00", occurred_to="2026-03-02 00:00:00"),
        ],
    )  # fmt: skip
    tiny.build(AS_OF, upto="int_case_points")
    assert dict(tiny.rows("select case_id, event_date from int_case_points")) == {
        "W1": date(2026, 3, 9),
        "W2": date(2026, 3, 10),
        "W3": date(2026, 2, 21),
    }


def test_knox_takes_a_year_of_a_busy_category(tiny):
    """4,000 burglaries in a 4 km square (about 240,000 pairs within 400 m, 24 million
    pair-permutations) in one pass (its time is measured by `make bench`, not here)."""
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 4000, size=(4000, 2))
    days = rng.integers(0, 180, size=4000)
    tiny.add("stations", BOX.stations())
    tiny.add(
        "cases",
        [
            event(f"K{k:04d}", x, y, (AS_OF - timedelta(days=int(d))).isoformat())
            for k, ((x, y), d) in enumerate(zip(xy, days, strict=True))
        ],
    )
    tiny.build(AS_OF, upto="int_case_points")
    models = {m.name: m for m in discover_models()}
    run_model(tiny.con, models["mart_near_repeat"], model_parameters(tiny.settings, AS_OF))
    assert tiny.rows("select count(*), max(events) from mart_near_repeat") == [(9, 4000)]
