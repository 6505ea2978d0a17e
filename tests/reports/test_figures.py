"""Figure builders return plain dicts; plotly's own validator must accept every one, and the
JSON embedded in a page can never end its <script> element."""

from __future__ import annotations

import json
from datetime import datetime

import plotly.graph_objects as go
import polars as pl
import pytest

from reports import figures
from reports.messages import Messages

EVIL = '</script><script>alert("x")</script><!--'


@pytest.fixture(params=["zh-CN", "en"])
def msg(request) -> Messages:
    return Messages(request.param)


def cells() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "cell_x": [3, 4, 4, 5],
            "cell_y": [7, 7, 8, 8],
            "hot_class": [3, 0, -1, 2],
            "cases": [5, 0, 0, 2],
            "gi_z": [3.1, None, -1.7, 2.2],
        }
    )


FRAME = {"lon0": 125.0, "lon_step": 0.003, "lat0": 43.8, "lat_step": 0.00225}


def test_every_builder_gives_a_figure_plotly_accepts(msg):
    counts = pl.DataFrame(
        {"category": ["theft", "fraud"], "day_count": [2, 0], "previous_7d_daily_avg": [1.5, 0.3]}
    )
    profile = pl.DataFrame({"weekday": [1, 2], "hour": [0, 23], "weight": [0.5, 1.25]})
    communities = pl.DataFrame({"community_name": [EVIL], "lon": [125.01], "lat": [43.81]})
    stations = pl.DataFrame({"station_name": ["S"], "lon": [125.0], "lat": [43.8]})
    cases = pl.DataFrame(
        {
            "category": ["theft", "fraud"],
            "lon": [125.02, None],
            "lat": [43.82, None],
            "reported_at": [datetime(2026, 3, 1, 8, 5)] * 2,
        }
    )
    alerts = pl.DataFrame({"center_lon": [125.02], "center_lat": [43.82], "radius_m": [200.0]})
    trace = figures.hot_class_trace(cells(), FRAME, msg)
    specs = [
        figures.category_bars(counts, msg),
        figures.time_heatmap(profile, msg),
        figures.hotspot_map([trace], communities, stations, cases, alerts, msg),
        figures.hotspot_map([], communities.clear(), stations, cases.clear(), alerts.clear(), msg),
    ]
    for spec in specs:
        go.Figure(spec)  # raises on any attribute plotly does not know
        json.loads(figures.script_json(spec))


def test_hot_classes_sit_on_the_bureau_lattice():
    trace = figures.hot_class_trace(cells(), FRAME, Messages("zh-CN"))
    assert trace["x"] == [125.009, 125.012, 125.015]  # columns 3..5
    assert trace["y"] == [43.81575, 43.818]  # rows 7..8
    assert trace["z"] == [[3, 0, None], [None, -1, 2]]  # null outside the cells given
    assert trace["text"][0][0] == "热点 99% · 近28日 5 起 · z = 3.1"
    assert trace["text"][0][1] == ""  # not significant: no hover text
    assert figures.hot_class_trace(cells().clear(), FRAME, Messages("zh-CN")) is None


def test_script_json_cannot_break_out_of_a_script_element():
    text = figures.script_json({"name": EVIL, "sep": "\u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": EVIL, "sep": "\u2028"}
    html = figures.figure_html({"data": [{"type": "scatter", "name": EVIL}], "layout": {}}, "fig-x")
    assert html.count("</script>") == 1 and "<!--" not in html


def test_nan_becomes_null_not_invalid_json():
    assert figures.clean([1.0, float("nan"), float("inf"), 2, None]) == [1.0, None, None, 2, None]
    with pytest.raises(ValueError):
        figures.script_json({"x": float("nan")})
