"""Figure builders return plain dicts; plotly's own validator must accept every one, and the
JSON embedded in a page can never end its <script> element."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

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


def categories(day_counts: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "category": ["assault", "theft", "fraud"][: len(day_counts)],
            "day_count": day_counts,
            "previous_7d_daily_avg": [0.43] * len(day_counts),
        }
    )


def test_category_labels_get_the_margin_they_need_and_counts_whole_ticks():
    spec = figures.category_bars(categories([3, 1]), Messages("zh-CN"))
    assert "殴打他人/伤害" in spec["data"][1]["y"]
    assert spec["layout"]["yaxis"]["automargin"] is True  # margin.l alone cut it to "他人/伤害"
    counts = spec["layout"]["xaxis"]
    assert (counts["tickformat"], counts["rangemode"], counts["dtick"]) == (",d", "tozero", 1)
    larger = figures.category_bars(categories([40, 7, 2]), Messages("zh-CN"))["layout"]["xaxis"]
    assert larger["tickformat"] == ",d" and "dtick" not in larger  # plotly's steps are whole


def months(with_data: int) -> list[dict]:
    """13 months, the last `with_data` of them in the history."""
    return [
        {"month": f"m{i:02d}", "current": 6 if i >= 13 - with_data else None, "last_year": None}
        for i in range(13)
    ]


def rolling(days: int) -> pl.DataFrame:
    """`days` days of rolling counts, without a control band."""
    first = date(2026, 11, 1)
    return pl.DataFrame(
        {
            "reported_date": [first + timedelta(days=k) for k in range(days)],
            "rolling": [30] * days,
            "mean": [None] * days,
            "lower": [None] * days,
            "upper": [None] * days,
        },
        schema={"reported_date": pl.Date, "rolling": pl.Int64}
        | dict.fromkeys(("mean", "lower", "upper"), pl.Float64),
    )


def panel_traces(spec: dict, axis: str) -> list[dict]:
    return [t for t in spec["data"] if t.get("xaxis", "x") == axis]


def short_notes(spec: dict) -> dict[str, str]:
    """The texts set in the middle of a panel, by the panel's x axis; its axes are hidden."""
    layout, notes = spec["layout"], {}
    for n in range(1, 4):
        x, y = layout[f"xaxis{n if n > 1 else ''}"], layout[f"yaxis{n if n > 1 else ''}"]
        middle = (sum(x["domain"]) / 2, sum(y["domain"]) / 2)
        for a in layout["annotations"]:
            if a["xref"] == "paper" and (a["x"], a["y"]) == pytest.approx(middle):
                assert x["visible"] is False and y["visible"] is False
                notes[f"x{n}"] = a["text"]
    return notes


def test_a_trend_panel_with_too_short_a_history_says_so_instead_of_a_stray_point(msg):
    spec = figures.monthly_lines([("A", months(13)), ("B", months(1)), ("C", months(2))], msg)
    go.Figure(spec)
    assert panel_traces(spec, "x") and panel_traces(spec, "x3")
    assert panel_traces(spec, "x2") == []  # one month with data: no single dot
    note = msg.t("trends", "too_short_monthly").format(n=figures.MIN_POINTS)
    assert short_notes(spec) == {"x2": note}
    bands = figures.rolling_bands([("A", rolling(30)), ("B", rolling(1)), ("C", rolling(0))], msg)
    go.Figure(bands)
    assert panel_traces(bands, "x") and not panel_traces(bands, "x2")
    note = msg.t("trends", "too_short_rolling").format(n=figures.MIN_POINTS)
    assert short_notes(bands) == {"x2": note, "x3": note}


def test_trend_panels_tick_whole_counts_with_room_for_their_labels(msg):
    spec = figures.monthly_lines([("A", months(13)), ("B", months(3))], msg)
    for name in ("yaxis", "yaxis2"):
        axis = spec["layout"][name]
        assert (axis["tickformat"], axis["rangemode"], axis["automargin"]) == (",d", "tozero", True)
    assert spec["layout"]["xaxis"]["automargin"] is True
    bands = figures.rolling_bands([("A", rolling(30))], msg)
    assert bands["layout"]["yaxis"]["tickformat"] == ",d"
