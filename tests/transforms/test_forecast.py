"""Forecast accountability: yesterday's top Gi* cells and the persistence baseline scored on
today's cases (hit rate, PAI, PEI*) on a hand-made grid; the first day and a day without cases."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pytest

from tests.transforms.test_hotspots import BOX, gi_star

DAY = date(2026, 3, 10)
BEFORE = DAY - timedelta(days=1)
# cases of the 28 days ending the day before: (cell_x, cell_y) -> count (5 x 4 grid)
HISTORY = {(1, 1): 4, (3, 2): 3, (0, 3): 2, (4, 0): 1}
# the day's cases
TODAY = {(1, 1): 2, (2, 1): 3, (4, 3): 1, (0, 0): 1}


def cases(counts: dict[tuple[int, int], int], prefix: str, days: list[date]) -> list[dict]:
    """counts[cell] cases in each cell, spread over the given days."""
    return [
        BOX.case_in(f"{prefix}{x}{y}_{k}", x, y, f"{days[k % len(days)].isoformat()} 09:00:00")
        for (x, y), count in counts.items()
        for k in range(count)
    ]


def history() -> list[dict]:
    return cases(HISTORY, "H", [BEFORE - timedelta(days=d) for d in (0, 5, 27)])


def scores(tiny, day: date = DAY) -> dict[str, dict]:
    frame = tiny.frame("select * from mart_forecast_accuracy where as_of_date = $d", {"d": day})
    return {row["method"]: row for row in frame.iter_rows(named=True)}


@pytest.fixture
def top2(tiny):
    tiny.settings = dataclasses.replace(tiny.settings, forecast_top_k_cells=2)
    tiny.add("stations", BOX.stations())
    return tiny


def test_pai_and_pei_on_a_hand_made_grid(top2):
    top2.add("cases", history())
    top2.build(BEFORE)
    top2.add("cases", cases(TODAY, "D", [DAY]))
    top2.build(DAY)
    got = scores(top2)
    # persistence: the 2 busiest cells of the 28 days, (1,1) and (3,2); today 2 + 0 of the 7
    # cases fell there; the best 2 cells today held 3 + 2 = 5
    p = got["persistence"]
    assert p["selected_cell_ids"] == ["B1:1:1", "B1:3:2"]
    assert (p["cases_total"], p["cases_captured"], p["cases_best_possible"]) == (7, 2, 5)
    assert (p["bureau_cells"], p["cells_selected"], p["top_k"]) == (20, 2, 2)
    assert p["hit_rate"] == pytest.approx(2 / 7)
    assert p["area_share"] == pytest.approx(2 / 20)
    assert p["pai"] == pytest.approx((2 / 7) / (2 / 20))
    assert p["pei"] == pytest.approx(2 / 5)
    assert p["forecast_area_km2"] == pytest.approx(2 * 0.25**2)
    assert p["bureau_area_km2"] == pytest.approx(20 * 0.25**2)
    # Gi*: the 2 cells with the highest z of yesterday's mart (numpy from the same counts)
    grid = np.zeros(BOX.shape)
    for (x, y), count in HISTORY.items():
        grid[y, x] = count
    z = gi_star(grid)
    order = sorted(
        ((x, y) for y in range(grid.shape[0]) for x in range(grid.shape[1])),
        key=lambda c: (-z[c[1], c[0]], -grid[c[1], c[0]], f"B1:{c[0]}:{c[1]}"),
    )
    top = order[:2]
    n = sum(TODAY.get(c, 0) for c in top)
    g = got["gi_star"]
    assert g["is_forecast_available"] and g["forecast_date"] == BEFORE
    assert g["selected_cell_ids"] == sorted(f"B1:{x}:{y}" for x, y in top)
    assert (g["cases_captured"], g["cases_best_possible"]) == (n, 5)
    assert g["hit_rate"] == pytest.approx(n / 7)
    assert g["pai"] == pytest.approx((n / 7) / (2 / 20))
    assert g["pei"] == pytest.approx(n / 5)


def test_first_day_has_no_gi_star_forecast(top2):
    top2.add("cases", history() + cases(TODAY, "D", [DAY]))
    top2.build(DAY)  # the day before was never built
    got = scores(top2)
    g = got["gi_star"]
    assert not g["is_forecast_available"]
    assert (g["cells_selected"], g["cases_total"]) == (0, 7)
    assert g["hit_rate"] is g["pai"] is g["pei"] is g["area_share"] is None
    assert g["cases_captured"] is None and g["selected_cell_ids"] is None
    # the baseline needs only the cases, so it is there from the first day
    assert got["persistence"]["is_forecast_available"]
    assert got["persistence"]["pai"] == pytest.approx((2 / 7) / (2 / 20))


def test_a_day_without_cases_gives_null_ratios(top2):
    top2.add("cases", history())
    top2.build(BEFORE)
    top2.build(DAY)
    for method, row in scores(top2).items():
        assert row["is_forecast_available"], method
        assert (row["cases_total"], row["cases_captured"], row["cases_best_possible"]) == (0, 0, 0)
        assert row["hit_rate"] is row["pai"] is row["pei"] is None
        assert row["area_share"] == pytest.approx(2 / 20)


def test_no_history_at_all(top2):
    top2.build(BEFORE)
    top2.build(DAY)
    got = scores(top2)
    assert set(got) == {"gi_star", "persistence"}
    for row in got.values():
        assert not row["is_forecast_available"]
        assert row["cases_total"] == 0
        assert row["hit_rate"] is row["pai"] is row["pei"] is None
