"""Emerging hotspots: the Mann-Kendall macros on worked examples with ties, each Esri category
from a hand-made weekly z series, and the weekly Gi* against numpy."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from tests.transforms.test_grid import Box
from tests.transforms.test_hotspots import gi_star
from transforms.runner import discover_models, model_parameters, run_model

AS_OF = date(2026, 3, 10)
WEEKS = 12
BOX = Box(2900.0, 1900.0)  # 14 x 10 cells with the padding


# ---- Mann-Kendall ------------------------------------------------------------------------------


def mann_kendall(x: list[float]) -> tuple[int, float, float | None]:
    """S, var(S) with the tie correction, and Z with the continuity correction, by the book."""
    n = len(x)
    s = sum(int(np.sign(x[j] - x[i])) for i in range(n) for j in range(i + 1, n))
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    if var <= 0:
        return s, var, None
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    return s, var, z


def mk_sql(tiny, x: list[float]) -> tuple:
    [row] = tiny.rows(
        "select mann_kendall_s(x), mann_kendall_var(x), "
        "mann_kendall_z(mann_kendall_s(x), mann_kendall_var(x)), "
        "mann_kendall_p(mann_kendall_s(x), mann_kendall_var(x)) "
        "from (select ?::double[] as x)",
        [x],
    )
    return row


def test_mann_kendall_worked_example_with_ties(tiny):
    # x = 1, 2, 2, 3, 1. Pairs (i < j) and sign(x_j - x_i):
    #   from 1: +, +, +, 0   from 2: 0, +, -   from 2: +, -   from 3: -      S = 4 + 0 + 0 - 1 = 2
    # two groups of 2 ties (the 1s and the 2s): var = (5*4*15 - 2 * 2*1*9) / 18 = 264 / 18
    # Z = (S - 1) / sqrt(var) = 1 / sqrt(14.6667) = 0.26112
    s, var, z, p = mk_sql(tiny, [1, 2, 2, 3, 1])
    assert s == 2
    assert var == pytest.approx(264 / 18, rel=1e-15)
    assert z == pytest.approx(1 / math.sqrt(264 / 18), rel=1e-15)
    assert z == pytest.approx(0.26112, abs=1e-5)
    assert p == pytest.approx(2 * stats.norm.sf(z), abs=1e-12)


@pytest.mark.parametrize(
    "x",
    [
        # a rising 12-week series with three tie groups (4 x2, 5 x3, 7 x2)
        [2, 4, 4, 3, 5, 5, 5, 6, 7, 7, 6, 8],
        # a falling one with a tie group of four
        [9.5, 9.0, 9.0, 8.0, 9.0, 7.5, 9.0, 6.0, 5.5, 5.0, 4.0, 3.0],
        # no trend, ties everywhere
        [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2],
        # z-scores as the weekly Gi* gives them, strictly increasing: var without ties = 212.67
        [0.11, 0.35, 0.29, 0.80, 1.20, 1.15, 2.02, 2.50, 2.61, 3.30, 3.90, 4.20],
    ],
)
def test_mann_kendall_matches_the_textbook_formulas(tiny, x):
    s, var, z, p = mk_sql(tiny, x)
    s_ref, var_ref, z_ref = mann_kendall(x)
    assert s == s_ref
    assert var == pytest.approx(var_ref, rel=1e-15)
    assert z == pytest.approx(z_ref, rel=1e-14, abs=1e-15)
    assert p == pytest.approx(2 * stats.norm.sf(abs(z_ref)), abs=1e-12)


def test_mann_kendall_exact_values_of_a_series_with_ties(tiny):
    # 2, 4, 4, 3, 5, 5, 5, 6, 7, 7, 6, 8: of the 66 pairs 56 rise, 4 fall and 6 are tied
    x = [2, 4, 4, 3, 5, 5, 5, 6, 7, 7, 6, 8]
    rises = sum(x[j] > x[i] for i in range(12) for j in range(i + 1, 12))
    falls = sum(x[j] < x[i] for i in range(12) for j in range(i + 1, 12))
    assert (rises, falls) == (56, 4)
    # ties: 4 (x2), 5 (x3), 6 (x2), 7 (x2): sum t(t-1)(2t+5) = 18 + 66 + 18 + 18 = 120, so
    # var = (12 * 11 * 29 - 120) / 18 = 3708 / 18 = 206 and Z = (52 - 1) / sqrt(206) = 3.55334
    s, var, z, p = mk_sql(tiny, x)
    assert (s, var) == (52, 206.0)
    assert z == pytest.approx(51 / math.sqrt(206), rel=1e-15)
    assert z == pytest.approx(3.55334, abs=1e-5)
    assert p == pytest.approx(0.000380375, abs=1e-9)


def test_mann_kendall_degenerate_series(tiny):
    assert mk_sql(tiny, [3.0, 3.0, 3.0]) == (0, 0.0, None, None)
    assert mk_sql(tiny, [5.0]) == (0, 0.0, None, None)
    assert mk_sql(tiny, []) == (0, 0.0, None, None)
    # two values: S = +-1, var = 2*1*9/18 = 1, Z = 0 after the continuity correction
    assert mk_sql(tiny, [1.0, 2.0]) == (1, 1.0, 0.0, 1.0)


# ---- categories from hand-made weekly z series -------------------------------------------------

HOT, WARM, COLD, COOL = 3.0, 0.5, -3.0, -0.5  # significant hot, not significant, cold


def rising(start: float, step: float) -> list[float]:
    return [start + step * i for i in range(WEEKS)]


SERIES = {
    # hot spots
    "new_hot": ([WARM] * 11 + [HOT], "new", "hot"),
    "consecutive_hot": ([WARM] * 8 + [3.0, 3.1, 3.2, 3.3], "consecutive", "hot"),
    "consecutive_two": ([WARM] * 10 + [HOT, HOT], "consecutive", "hot"),
    "intensifying_hot": (rising(2.0, 0.2), "intensifying", "hot"),
    "persistent_hot": ([3.0, 3.5] * 6, "persistent", "hot"),
    "persistent_one_gap": (
        [3.0, 3.5, 3.0, WARM, 3.5, 3.0, 3.5, 3.0, 3.5, 3.0, 3.5, 3.0],
        "persistent",
        "hot",
    ),
    "diminishing_hot": (rising(4.2, -0.2), "diminishing", "hot"),
    "historical_hot": ([HOT] * 11 + [WARM], "historical", "hot"),
    "sporadic_hot": ([HOT, WARM, HOT, WARM, WARM, HOT] + [WARM] * 5 + [HOT], "sporadic", "hot"),
    "sporadic_run": ([HOT] + [WARM] * 8 + [HOT] * 3, "sporadic", "hot"),
    "oscillating_hot": ([COLD] + [WARM] * 10 + [HOT], "oscillating", "hot"),
    # cold spots, the mirror image
    "new_cold": ([COOL] * 11 + [COLD], "new", "cold"),
    "consecutive_cold": ([COOL] * 9 + [COLD] * 3, "consecutive", "cold"),
    "intensifying_cold": (rising(-2.0, -0.2), "intensifying", "cold"),
    "persistent_cold": ([-3.0, -3.5] * 6, "persistent", "cold"),
    "diminishing_cold": (rising(-4.2, 0.2), "diminishing", "cold"),
    "historical_cold": ([COLD] * 11 + [COOL], "historical", "cold"),
    "sporadic_cold": ([COLD, COOL, COLD] + [COOL] * 8 + [COLD], "sporadic", "cold"),
    "oscillating_cold": ([HOT] + [COOL] * 10 + [COLD], "oscillating", "cold"),
    # nothing
    "flat": ([WARM] * 12, "no_pattern", None),
    "hot_long_ago": ([HOT] * 3 + [WARM] * 9, "no_pattern", None),
    "hot_ten_of_twelve_then_not": ([HOT] * 10 + [WARM] * 2, "no_pattern", None),
    "rising_but_never_significant": (rising(-1.0, 0.2), "no_pattern", None),
}


def classify(tiny, series: dict[str, list[float | None]]) -> dict[str, dict]:
    """Stand in int_cell_week_gi (one cell per series) and run the emerging-hotspot mart."""
    rows = [(name, week + 1, z) for name, zs in series.items() for week, z in enumerate(zs)]
    tiny.con.execute(
        "create or replace table int_cell_week_gi as "
        "select 'B1' as bureau_id, cell_id, 0 as cell_x, 0 as cell_y, week_index, "
        "$as_of - 7 * (12 - week_index) - 6 as week_start_date, "
        "$as_of - 7 * (12 - week_index) as week_end_date, 1 as cases, "
        "gi_z, gi_hot_class(gi_z, normal_two_sided_p(gi_z)) as hot_class "
        "from (select r.c as cell_id, cast(r.w as integer) as week_index, "
        "cast(r.z as double) as gi_z from (select unnest($rows) as r))",
        {"as_of": AS_OF, "rows": [{"c": c, "w": w, "z": z} for c, w, z in rows]},
    )
    tiny.con.execute(
        "create or replace table int_grid_cells as select distinct cell_id, 125.3 as center_lon, "
        "43.9 as center_lat, 'S1' as station_id, null::varchar as community_id "
        "from int_cell_week_gi"
    )
    model = {m.name: m for m in discover_models()}["mart_emerging_hotspots"]
    run_model(tiny.con, model, model_parameters(tiny.settings, AS_OF))
    frame = tiny.frame("select * from mart_emerging_hotspots where as_of_date = $d", {"d": AS_OF})
    return {row["cell_id"]: row for row in frame.iter_rows(named=True)}


def test_each_category_from_a_hand_made_series(tiny):
    got = classify(tiny, {name: zs for name, (zs, _, _) in SERIES.items()})
    for name, (zs, pattern, spot_type) in SERIES.items():
        row = got[name]
        assert (row["pattern"], row["spot_type"]) == (pattern, spot_type), (name, row)
        s, var, z = mann_kendall(zs)
        assert (row["mk_s"], row["mk_var"]) == (s, pytest.approx(var)), name
        assert row["gi_z_series"] == pytest.approx(zs)
    # the emerging flag: new, consecutive and intensifying hot spots only
    flagged = {name for name, row in got.items() if row["is_emerging_hot_spot"]}
    assert flagged == {"new_hot", "consecutive_hot", "consecutive_two", "intensifying_hot"}


def test_counts_runs_and_trend_columns(tiny):
    got = classify(tiny, {"c": [WARM] * 8 + [3.0, 3.1, 3.2, 3.3], "i": rising(2.0, 0.2)})
    c, i = got["c"], got["i"]
    assert (c["weeks"], c["hot_weeks"], c["cold_weeks"], c["final_hot_run"]) == (12, 4, 0, 4)
    assert c["final_hot_class"] == 3 and c["final_gi_z"] == pytest.approx(3.3)
    assert c["hot_class_series"] == [0] * 8 + [3] * 4
    assert (i["hot_weeks"], i["final_hot_run"], i["trend_direction"]) == (12, 12, "up")
    # strictly rising, 12 points: S = 66, var = 212.67, Z = 65 / sqrt(212.67) = 4.457
    assert (i["mk_s"], i["mk_z"]) == (66, pytest.approx(65 / math.sqrt(12 * 11 * 29 / 18)))
    assert i["is_trend_significant"] and i["mk_p"] < 1e-5


def test_the_trend_threshold_is_a_setting(tiny):
    # 12 hot weeks with a mild rise: S = 27, var = 207 (ties), Z = 1.807, p = 0.071
    zs = [3.0, 3.1, 3.0, 3.2, 3.15, 3.0, 3.3, 3.2, 3.1, 3.4, 3.05, 3.5]
    s, var, z = mann_kendall(zs)
    assert 0.05 < 2 * stats.norm.sf(z) < 0.10
    assert classify(tiny, {"c": zs})["c"]["pattern"] == "persistent"
    tiny.settings = dataclasses.replace(tiny.settings, emerging_trend_p=0.10)
    assert classify(tiny, {"c": zs})["c"]["pattern"] == "intensifying"


def test_weeks_with_a_null_z_are_not_hot_and_leave_the_trend(tiny):
    zs = [None, None] + rising(2.0, 0.2)[2:]
    row = classify(tiny, {"c": zs})["c"]
    s, var, _ = mann_kendall([z for z in zs if z is not None])
    assert (row["mk_s"], row["mk_var"]) == (s, pytest.approx(var))
    assert row["hot_weeks"] == 10  # 10 of 12 < 90%: not intensifying
    assert row["pattern"] == "consecutive"


# ---- the weekly Gi* ----------------------------------------------------------------------------


def week_end(week: int) -> date:
    return AS_OF - timedelta(days=7 * (WEEKS - week))


def test_weekly_gi_star_matches_numpy_week_by_week(tiny):
    tiny.add("stations", BOX.stations())
    rows, cols = BOX.shape
    rng = np.random.default_rng(4)
    counts = rng.poisson(0.3, size=(WEEKS, rows, cols))
    # a 2 x 2 patch that heats up in the last four weeks
    counts[8:, 4:6, 6:8] += np.arange(1, 5)[:, None, None] * 2
    cases = []
    for w in range(WEEKS):
        # spread each week's cases over its days, the first and last day included
        days = [week_end(w + 1) - timedelta(days=k % 7) for k in range(int(counts[w].sum()))]
        cells = [(x, y) for y in range(rows) for x in range(cols) for _ in range(counts[w, y, x])]
        cases += [
            BOX.case_in(f"K{w}_{k}", x, y, f"{day.isoformat()} 12:00:00")
            for k, ((x, y), day) in enumerate(zip(cells, days, strict=True))
        ]
    # one day before the first week and one after as_of: in no week
    cases += [
        BOX.case_in("OUT1", 2, 1, f"{(week_end(1) - timedelta(days=7)).isoformat()} 23:59:59"),
        BOX.case_in("OUT2", 2, 1, f"{(AS_OF + timedelta(days=1)).isoformat()} 00:00:00"),
    ]
    tiny.add("cases", cases)
    tiny.build(AS_OF)
    got = tiny.frame("select * from int_cell_week_gi")
    assert got.height == WEEKS * rows * cols
    for w in range(WEEKS):
        week = got.filter(got["week_index"] == w + 1)
        assert set(week["week_end_date"].to_list()) == {week_end(w + 1)}
        assert set(week["week_start_date"].to_list()) == {week_end(w + 1) - timedelta(days=6)}
        z = np.full((rows, cols), np.nan)
        z[week["cell_y"].to_numpy(), week["cell_x"].to_numpy()] = (
            week["gi_z"].cast(float).fill_null(np.nan).to_numpy()
        )
        got_counts = np.zeros((rows, cols))
        got_counts[week["cell_y"].to_numpy(), week["cell_x"].to_numpy()] = week["cases"].to_numpy()
        np.testing.assert_array_equal(got_counts, counts[w])
        np.testing.assert_allclose(z, gi_star(counts[w].astype(float)), rtol=1e-12, atol=1e-12)
    mart = tiny.frame(
        "select * from mart_emerging_hotspots where as_of_date = $d and cell_id = 'B1:6:4'",
        {"d": AS_OF},
    ).row(0, named=True)
    assert mart["cases_series"] == counts[:, 4, 6].tolist()
    assert mart["gi_z_series"] == pytest.approx(
        [gi_star(counts[w].astype(float))[4, 6] for w in range(WEEKS)], rel=1e-12
    )
    assert mart["spot_type"] == "hot" and mart["trend_direction"] == "up"
    assert mart["final_hot_run"] >= 4
