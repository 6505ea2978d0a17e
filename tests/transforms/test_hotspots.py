"""Getis-Ord Gi* hotspots on small grids, checked against the formula in numpy; the p macros."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest
from scipy import stats

from tests.transforms.test_grid import CELL, Box
from transforms.runner import discover_models, model_parameters, run_model

AS_OF = date(2026, 3, 10)
BOX = Box(625.0, 375.0)  # a 5 x 4 grid (3 x 2 cells of extent plus padding)


def gi_star(x: np.ndarray) -> np.ndarray:
    """Gi* z of every cell of a grid of counts (rows = cell_y), 3 x 3 binary weights, no wrap."""
    n, mean, s = x.size, x.mean(), x.std()  # population standard deviation
    z = np.full(x.shape, np.nan)
    if s == 0:
        return z
    rows, cols = x.shape
    for r in range(rows):
        for c in range(cols):
            window = x[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2]
            w = window.size  # W_i = S1_i for 0/1 weights
            z[r, c] = (window.sum() - mean * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))
    return z


def expected_class(z: float, p: float) -> int:
    """hot_class from a z and the p it is judged by."""
    if np.isnan(z) or z == 0:
        return 0
    level = 3 if p < 0.01 else 2 if p < 0.05 else 1 if p < 0.10 else 0
    return int(np.sign(z)) * level


def build_counts(tiny, box: Box, counts: dict[tuple[int, int], int], as_of: date = AS_OF):
    """Place counts[(cell_x, cell_y)] cases in their cells, build, return the mart as a frame."""
    tiny.add("stations", box.stations())
    cases = [
        box.case_in(f"K{x}_{y}_{k}", x, y, f"{as_of.isoformat()} 08:00:00")
        for (x, y), count in counts.items()
        for k in range(count)
    ]
    if cases:
        tiny.add("cases", cases)
    tiny.build(as_of)
    return tiny.frame(
        "select * from mart_hotspot_cells where as_of_date = $d order by cell_y, cell_x",
        params={"d": as_of},
    )


def as_grid(frame, column: str, shape: tuple[int, int]) -> np.ndarray:
    """A mart column as a rows x columns array (nulls as NaN)."""
    grid = np.full(shape, np.nan)
    values = frame[column].cast(float).fill_null(np.nan).to_numpy()
    grid[frame["cell_y"].to_numpy(), frame["cell_x"].to_numpy()] = values
    return grid


def check_against_numpy(got, counts: np.ndarray, fdr: bool = False) -> None:
    """Compare the mart's z, p, FDR p and class with numpy/scipy computed from the counts."""
    z = gi_star(counts)
    np.testing.assert_array_equal(as_grid(got, "cases", counts.shape), counts)
    np.testing.assert_allclose(as_grid(got, "gi_z", counts.shape), z, rtol=1e-12, atol=1e-12)
    p = 2 * stats.norm.sf(np.abs(z))
    np.testing.assert_allclose(as_grid(got, "gi_p", counts.shape), p, rtol=0, atol=1e-12)
    if not np.isnan(z).all():
        p_fdr = stats.false_discovery_control(p.ravel()).reshape(p.shape)
        np.testing.assert_allclose(as_grid(got, "gi_p_fdr", counts.shape), p_fdr, atol=1e-12)
        judged = p_fdr if fdr else p
        classes = np.vectorize(expected_class)(z, judged)
        np.testing.assert_array_equal(as_grid(got, "hot_class", counts.shape), classes)


def test_single_hot_cell_in_the_middle(tiny):
    got = build_counts(tiny, BOX, {(2, 1): 5})
    counts = np.zeros((4, 5))
    counts[1, 2] = 5
    check_against_numpy(got, counts)
    # by hand: n = 20, mean = 0.25, S = sqrt(25/20 - 0.0625) = sqrt(1.1875); the hot cell sees
    # all 5 cases in its 9-cell window: z = (5 - 2.25) / (S * sqrt((180 - 81) / 19))
    hot = got.filter((got["cell_x"] == 2) & (got["cell_y"] == 1)).row(0, named=True)
    assert hot["gi_z"] == pytest.approx(2.75 / (np.sqrt(1.1875) * np.sqrt(99 / 19)), rel=1e-12)
    assert (hot["neighbour_count"], hot["neighbourhood_cases"]) == (9, 5)
    assert hot["gi_z"] == pytest.approx(1.10554, abs=1e-5)
    assert hot["hot_class"] == 0  # one busy cell among 20 is not a significant cluster
    # a corner far from it sees none of them: z = -0.25 * 4 / (S * sqrt((80 - 16) / 19))
    corner = got.filter((got["cell_x"] == 4) & (got["cell_y"] == 3)).row(0, named=True)
    assert corner["neighbour_count"] == 4
    assert corner["gi_z"] == pytest.approx(-1.0 / (np.sqrt(1.1875) * np.sqrt(64 / 19)), rel=1e-12)


def test_edges_and_corners_use_truncated_windows(tiny):
    counts = np.array(
        [
            [3, 0, 0, 0, 1],
            [1, 0, 0, 0, 0],
            [0, 0, 2, 0, 0],
            [0, 0, 0, 0, 4],
        ]
    )
    got = build_counts(
        tiny, BOX, {(x, y): int(counts[y, x]) for y in range(4) for x in range(5) if counts[y, x]}
    )
    check_against_numpy(got, counts.astype(float))
    w = as_grid(got, "neighbour_count", (4, 5))
    assert w[0, 0] == w[3, 4] == 4  # corners
    assert w[0, 2] == w[2, 0] == 6  # edges
    assert w[1, 1] == w[2, 3] == 9  # inside


def test_no_cases_gives_null_z_and_no_class(tiny):
    got = build_counts(tiny, BOX, {})
    assert got.height == 20
    assert got["gi_z"].null_count() == got["gi_p"].null_count() == got["gi_p_fdr"].null_count()
    assert got["gi_z"].null_count() == 20
    assert set(got["hot_class"].to_list()) == {0}
    assert set(got["cases"].to_list()) == {0}


def test_equal_counts_everywhere_give_null_z(tiny):
    # S = 0 although there are cases: never a division by zero or an infinity
    got = build_counts(tiny, BOX, {(x, y): 1 for x in range(5) for y in range(4)})
    assert got["bureau_sd_cases"].to_list() == [0.0] * 20
    assert got["gi_z"].null_count() == 20
    assert set(got["hot_class"].to_list()) == {0}


def test_random_counts_on_a_larger_grid_match_numpy(tiny):
    box = Box(2900.0, 1900.0)  # 12 x 8 cells of extent, 14 x 10 with padding
    rows, cols = box.shape
    rng = np.random.default_rng(11)
    counts = rng.poisson(0.4, size=(rows, cols)).astype(float)
    counts[5:8, 6:9] += 6  # a cluster
    got = build_counts(
        tiny, box, {(x, y): int(counts[y, x]) for y in range(rows) for x in range(cols)}
    )
    assert got.height == rows * cols == 140
    check_against_numpy(got, counts)
    assert got.filter(got["hot_class"] == 3).height > 0


def test_fdr_setting_judges_classes_by_the_adjusted_p(tiny):
    tiny.settings = dataclasses.replace(tiny.settings, hotspot_fdr=True)
    box = Box(2900.0, 1900.0)
    rows, cols = box.shape
    rng = np.random.default_rng(5)
    counts = rng.poisson(0.5, size=(rows, cols)).astype(float)
    counts[2:4, 3:5] += 3
    got = build_counts(
        tiny, box, {(x, y): int(counts[y, x]) for y in range(rows) for x in range(cols)}
    )
    check_against_numpy(got, counts, fdr=True)
    assert got["is_fdr_applied"].all()
    # the correction matters here: some cell is significant unadjusted but not after BH
    z = gi_star(counts)
    p = 2 * stats.norm.sf(np.abs(z))
    unadjusted = np.vectorize(expected_class)(z, p)
    assert (unadjusted != as_grid(got, "hot_class", counts.shape)).any()


def test_window_is_the_trailing_28_days(tiny):
    tiny.add("stations", BOX.stations())
    tiny.add(
        "cases",
        [
            BOX.case_in("K1", 2, 1, "2026-02-11 00:00:00"),  # 28th day back: in
            BOX.case_in("K2", 2, 1, "2026-02-10 23:59:59"),  # 29th day back: out
            BOX.case_in("K3", 2, 1, "2026-03-10 23:59:59"),
            BOX.case_in("K4", 2, 1, "2026-03-11 00:00:00"),  # after as_of: out
        ],
    )
    tiny.build(AS_OF)
    assert tiny.rows(
        "select cases, window_start_date from mart_hotspot_cells where cell_id = 'B1:2:1'"
    ) == [(2, date(2026, 2, 11))]


def test_cells_carry_the_grid_attributes(tiny):
    got = build_counts(tiny, BOX, {(1, 1): 1})
    row = got.filter(got["cell_id"] == "B1:1:1").row(0, named=True)
    assert row["as_of_date"] == AS_OF
    assert (row["bureau_id"], row["station_id"], row["cell_x"], row["cell_y"]) == ("B1", "S1", 1, 1)
    assert (row["center_lon"], row["center_lat"]) == pytest.approx(BOX.cell_point(1, 1), abs=1e-10)


def test_normal_two_sided_p_matches_scipy_around_the_range_boundaries(tiny):
    # Cody's three ranges meet at |z| = 0.66291 and sqrt(32) = 5.656854...
    for z in [
        0.0,
        1e-9,
        0.3,
        0.66291,
        0.662911,
        1.0,
        1.6448536,
        1.959964,
        2.5758293,
        4.0,
        5.656854,
        5.656855,
        6.5,
        8.0,
        10.0,
        20.0,
        37.0,
    ]:
        for signed in (z, -z):
            [(p, tail)] = tiny.rows(
                "select normal_two_sided_p(?), normal_upper_tail(?)", [signed, signed]
            )
            assert p == pytest.approx(2 * stats.norm.sf(abs(signed)), abs=1e-12, rel=1e-9)
            assert tail == pytest.approx(stats.norm.sf(signed), abs=1e-12, rel=1e-9)


def test_normal_two_sided_p_on_a_dense_range_and_edge_values(tiny):
    z = np.linspace(-12.0, 12.0, 24_001)
    got = np.array(
        [
            r[0]
            for r in tiny.rows("select normal_two_sided_p(z) from unnest(?) as t (z)", [z.tolist()])
        ]
    )
    assert np.abs(got - 2 * stats.norm.sf(np.abs(z))).max() < 1e-12
    assert tiny.rows(
        "select normal_two_sided_p(null::double), normal_two_sided_p(1e6), "
        "normal_two_sided_p(-1e6), normal_two_sided_p(0)"
    ) == [(None, 0.0, 0.0, 1.0)]


def test_poisson_upper_p_matches_scipy(tiny):
    for observed, expected in [
        (1, 0.5),
        (3, 1.0),
        (5, 4.0),
        (10, 4.0),
        (20, 7.5),
        (4, 12.0),
        (60, 30.0),
        (150, 120.0),
    ]:
        [(p,)] = tiny.rows("select poisson_upper_p(?, ?)", [observed, expected])
        assert p == pytest.approx(stats.poisson.sf(observed - 1, expected), abs=1e-12)


def test_poisson_upper_p_conventions(tiny):
    assert tiny.rows(
        "select poisson_upper_p(0, 3.0), poisson_upper_p(2, 0.0), poisson_upper_p(0, 0.0), "
        "poisson_upper_p(null, 1.0), poisson_z(9, 4.0), poisson_z(0, 0), poisson_z(null, 1)"
    ) == [(1.0, 0.0, 1.0, None, 2.0, 0.0, None)]


def test_gi_star_covers_every_cell_of_a_40000_cell_bureau(tiny):
    """200 x 200 cells, 300 communities, 20,000 cases: every cell and case is in the mart (its
    speed is measured by `make bench`, not here)."""
    box = Box(198 * CELL - 100.0, 198 * CELL - 100.0)
    rng = np.random.default_rng(3)
    tiny.add("stations", box.stations())
    tiny.add(
        "communities",
        [
            {
                **dict.fromkeys(("is_complex_central_village", "is_former_township_seat"), False),
                "community_id": f"C{i}",
                "community_name": f"C{i}",
                "station_id": f"S{1 + i % 2}",
                "area_type": "rural",
                "lon": box.lon_at(x),
                "lat": box.lat_at(y),
                "radius_m": 0.0,
                "has_police_office": True,
                "office_officer_count": 1,
                "is_remote": False,
            }
            for i, (x, y) in enumerate(rng.uniform(0, box.width_m, size=(300, 2)))
        ],
    )
    xy = rng.normal(box.width_m / 2, box.width_m / 6, size=(20_000, 2)).clip(0, box.width_m)
    tiny.add(
        "cases",
        [
            {
                "case_id": f"K{i}",
                "station_id": "S1",
                "kind": "criminal",
                "category": "theft",
                "place_type": "street",
                "reported_at": f"2026-03-{1 + i % 10:02d} 08:00:00",
                "updated_at": "2026-03-10 08:00:00",
                "status": "accepted",
                "lon": box.lon_at(x),
                "lat": box.lat_at(y),
            }
            for i, (x, y) in enumerate(xy)
        ],
    )
    tiny.build(AS_OF, upto="stg_cases")
    models = {m.name: m for m in discover_models()}
    params = model_parameters(tiny.settings, AS_OF)
    for name in (
        "int_bureau_frames",
        "int_grid_cells",
        "int_case_cells",
        "int_gi_star",
        "mart_hotspot_cells",
    ):
        run_model(tiny.con, models[name], params)
    assert tiny.rows("select count(*), sum(cases) from mart_hotspot_cells") == [(40_000, 20_000)]
    assert tiny.rows("select count(*) from mart_hotspot_cells where gi_z is null") == [(0,)]
