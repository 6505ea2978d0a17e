"""Plotly figure builders: each takes mart rows (Polars) and labels, and returns a Figure.

No figure loads anything from the network: maps are plain lon/lat axes with an equal-distance
aspect, drawn over community and station points, never over web map tiles.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from reports.messages import Messages

FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
    '"WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", sans-serif'
)
CATEGORY_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
)


def _layout(fig: go.Figure, height: int) -> go.Figure:
    """Shared layout: Chinese-capable fonts, compact margins, white background."""
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        font={"family": FONT_STACK, "size": 13},
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def category_bars(counts: pl.DataFrame, msg: Messages) -> go.Figure:
    """Horizontal bars: the day's count per category against the previous 7-day daily average.

    `counts` has columns category, day_count, previous_7d_daily_avg (one scope, no 'all')."""
    rows = counts.sort(
        ["day_count", "previous_7d_daily_avg", "category"], descending=[False, False, True]
    )
    labels = [msg.label("category", c) for c in rows["category"]]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=rows["previous_7d_daily_avg"].round(2).to_list(),
        orientation="h",
        name=msg.t("page", "previous_7d_avg"),
        marker_color="#c7c7c7",
    )
    fig.add_bar(
        y=labels,
        x=rows["day_count"].to_list(),
        orientation="h",
        name=msg.t("page", "day"),
        marker_color="#1f77b4",
    )
    fig.update_layout(barmode="group", xaxis_title=msg.t("page", "count"))
    return _layout(fig, max(260, 28 * len(labels) + 120))


def case_map(
    cases: pl.DataFrame, communities: pl.DataFrame, stations: pl.DataFrame, msg: Messages
) -> go.Figure:
    """The day's cases as points by category over community and station points, tile-free."""
    fig = go.Figure()
    fig.add_scatter(
        x=communities["lon"].to_list(),
        y=communities["lat"].to_list(),
        mode="markers",
        name=msg.t("page", "community"),
        marker={"size": 5, "color": "#d0d0d0"},
        text=communities["community_name"].to_list(),
        hoverinfo="text",
    )
    fig.add_scatter(
        x=stations["lon"].to_list(),
        y=stations["lat"].to_list(),
        mode="markers",
        name=msg.t("page", "station"),
        marker={"size": 10, "color": "black", "symbol": "star"},
        text=stations["station_name"].to_list(),
        hoverinfo="text",
    )
    located = cases.filter(pl.col("lon").is_not_null() & pl.col("lat").is_not_null())
    for index, category in enumerate(sorted(located["category"].unique().to_list())):
        part = located.filter(pl.col("category") == category)
        fig.add_scatter(
            x=part["lon"].to_list(),
            y=part["lat"].to_list(),
            mode="markers",
            name=msg.label("category", category),
            marker={
                "size": 9,
                "color": CATEGORY_COLOURS[index % len(CATEGORY_COLOURS)],
                "line": {"width": 1, "color": "white"},
            },
            text=[f"{msg.label('category', category)} {t:%H:%M}" for t in part["reported_at"]],
            hoverinfo="text",
        )
    mid_lat = communities["lat"].mean() if communities.height else 35.0
    # one degree of latitude is 1/cos(lat) times as long as one of longitude on the ground
    fig.update_yaxes(
        scaleanchor="x",
        scaleratio=1 / math.cos(math.radians(mid_lat)),
        title=msg.t("page", "lat"),
        showgrid=False,
    )
    fig.update_xaxes(title=msg.t("page", "lon"), showgrid=False)
    return _layout(fig, 620)


def time_heatmap(profile: pl.DataFrame, msg: Messages) -> go.Figure:
    """Weekday × hour heatmap of aoristic weights (`profile`: weekday, hour, weight)."""
    grid = profile.sort(["weekday", "hour"])
    z = [grid.filter(pl.col("weekday") == day)["weight"].round(2).to_list() for day in range(1, 8)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(24)),
            y=[msg.label("weekday", day) for day in range(1, 8)],
            colorscale="YlOrRd",
            colorbar={"title": {"text": msg.t("page", "weight")}},
            hovertemplate="%{y} %{x}:00 — %{z:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title=msg.t("page", "hour"), dtick=2)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, 330)
