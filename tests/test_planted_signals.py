"""The hotspot, emerging-hotspot and near-repeat marts find what the simulator planted.

A clean simulated county (120 days, so 12 weeks of weekly Gi* and their history exist) is
loaded without Airflow (ingest and validate each feed, then build the models for the last day),
and the marts are checked against the simulator's truth files. Gi* over a whole county flags
most of the county town as hot (the square around it is mostly empty countryside), so the
checks look at the cells of each planted site rather than demanding that only they are hot.

The seed matters for the near-repeat check: the planted series (5-7 burglaries within 180 m and
13 days) is one small cluster among about 300 burglaries, and the Knox test is a test of the
whole category. With the project's default seed and 120 days the series has 5 cases and its
best short band reaches p = 0.08 only; seed 1 plants 7 cases (three short bands at p <= 0.03).
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from beatbrief.config import Settings
from beatbrief.simulate import run_simulation
from tests.pipeline import load_feeds
from transforms import warehouse
from transforms.runner import build_models

END = date(2026, 11, 27)
SEED = 1
R = 6371008.8


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Settings:
    """120 days of a clean county (one day of patrols), loaded and built for END."""
    home: Path = tmp_path_factory.mktemp("planted-signals")
    run_simulation(home, end=END, days=120, seed=SEED, scale="county", fault_rate=0.0, ping_days=1)
    settings = Settings(home=home)
    assert load_feeds(settings, END) == {}
    build_models(settings, END)
    return settings


def truth(settings: Settings, name: str) -> list[dict]:
    return json.loads((settings.truth_dir / name).read_text(encoding="utf-8"))


def mart(settings: Settings, name: str) -> list[dict]:
    with warehouse.connect(settings) as con:
        frame = con.sql(f"select * from {name} where as_of_date = ?", params=[END]).pl()
    return list(frame.iter_rows(named=True))


def cells_on(site: dict, cells: list[dict], cell_m: float) -> list[dict]:
    """The grid cells that overlap a planted site's disc (centre, radius_m)."""
    lat0 = math.radians(site["center_lat"])
    half = cell_m / 2
    out = []
    for cell in cells:
        dx = R * math.cos(lat0) * math.radians(cell["center_lon"] - site["center_lon"])
        dy = R * math.radians(cell["center_lat"] - site["center_lat"])
        gap = math.hypot(max(abs(dx) - half, 0.0), max(abs(dy) - half, 0.0))
        if gap <= site["radius_m"]:
            out.append(cell)
    return out


def test_stable_hotspots_are_hot_at_99_percent(county):
    stable = [h for h in truth(county, "hotspots.json") if h["kind"] == "stable"]
    cells = mart(county, "mart_hotspot_cells")
    found = [
        h
        for h in stable
        if any(c["hot_class"] == 3 for c in cells_on(h, cells, county.grid_cell_m))
    ]
    assert len(stable) >= 5
    assert len(found) >= 0.9 * len(stable), [h["template"] for h in stable if h not in found]


def test_the_emerging_hotspot_is_new_or_intensifying(county):
    [emerging] = [h for h in truth(county, "hotspots.json") if h["kind"] == "emerging"]
    cells = cells_on(emerging, mart(county, "mart_emerging_hotspots"), county.grid_cell_m)
    assert cells
    patterns = {(c["spot_type"], c["pattern"]) for c in cells}
    assert patterns & {("hot", "new"), ("hot", "intensifying")}, patterns
    # the cell holding the site's centre rises week over week
    centre = min(
        cells,
        key=lambda c: (
            (c["center_lon"] - emerging["center_lon"]) ** 2
            + (c["center_lat"] - emerging["center_lat"]) ** 2
        ),
    )
    assert centre["trend_direction"] == "up" and centre["is_emerging_hot_spot"]


def test_the_near_repeat_burglary_series_shows_a_significant_short_band(county):
    [series] = truth(county, "near_repeat.json")
    knox = [
        r
        for r in mart(county, "mart_near_repeat")
        if r["bureau_id"] == series["bureau_id"] and r["category"] == "burglary"
    ]
    assert len(knox) == 9
    short = [r for r in knox if r["distance_max_m"] <= 200 and r["time_max_days"] <= 14]
    significant = [r for r in short if r["is_significant"]]
    assert significant, [(r["distance_band"], r["time_band"], r["p_value"]) for r in short]
    assert all(r["knox_ratio"] > 1 and r["p_value"] <= 0.05 for r in significant)
