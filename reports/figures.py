"""Plotly figure builders: each takes mart rows (Polars) and labels, and returns a figure as a
plain dict (`{"data": [...], "layout": {...}}`), which `figure_html` embeds in a page.

Why dicts and not `go.Figure`: building and validating a go.Figure costs about 17 ms per
figure, which is 70 s for the figures of 700 station pages; a dict costs well under 1 ms.
tests/reports/test_figures.py validates every builder's output with `go.Figure(spec)`, so a
misspelt attribute still fails a test. The commander view's two grids of small multiples
(`monthly_lines`, `rolling_bands`) are laid out with plotly's make_subplots and then turned
into dicts: they are drawn once a week.

No figure loads anything from the network: maps are plain lon/lat axes with an equal-distance
aspect, drawn over community and station points, never over web map tiles or geo topojson.
"""

from __future__ import annotations

import json
import math

import polars as pl
from markupsafe import Markup

from reports.messages import Messages

FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
    '"WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", sans-serif'
)
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
# Gi* classes -3..+3: cold blues, a pale grey for "not significant" inside the jurisdiction,
# hot reds; cells outside the page's jurisdiction are null and not drawn at all
HOT_CLASS_COLOURS = ("#2166ac", "#67a9cf", "#d1e5f0", "#f0f0f0", "#fddbc7", "#ef8a62", "#b2182b")
# characters that could end a <script> element or start an HTML comment inside it, and the two
# line separators that end a JavaScript string: all escaped as JSON unicode escapes
_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
# below this largest count plotly's automatic ticks may fall between whole numbers (0.5 steps)
SMALL_COUNT = 5
# a trend panel draws its line from at least this many points; fewer, and it says so instead
MIN_POINTS = 2


def script_json(value) -> str:
    """JSON that is safe inside a <script> element whatever strings it holds."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str).translate(
        _SCRIPT_ESCAPES
    )


def figure_html(spec: dict, div_id: str) -> Markup:
    """A figure as its div and the script that draws it (plotly.js is loaded once per page)."""
    return Markup(
        f'<div id="{div_id}" class="plot"></div><script>Plotly.newPlot({script_json(div_id)}, '
        f"{script_json(spec['data'])}, {script_json(spec['layout'])}, "
        f"{script_json(PLOT_CONFIG)});</script>"
    )


def clean(values) -> list:
    """A column as a JSON-ready list: NaN and infinities become null, floats are rounded."""
    out = []
    for value in values:
        if isinstance(value, float):
            value = round(value, 6) if math.isfinite(value) else None
        out.append(value)
    return out


def layout(height: int, **extra) -> dict:
    """Shared layout: Chinese-capable fonts, compact margins that grow to fit the axes' labels
    (automargin, so a long category name is never cut), white background."""
    axes = {name: {"automargin": True, **extra.pop(name, {})} for name in ("xaxis", "yaxis")}
    return {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "font": {"family": FONT_STACK, "size": 13},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.15},
        **axes,
        **extra,
    }


def largest(*columns) -> float | None:
    """The largest finite value drawn from these columns (None if there is none)."""
    return max((v for column in columns for v in clean(column) if v is not None), default=None)


def count_axis(top: float | None) -> dict:
    """An axis of case counts: from 0, in whole numbers, one tick per case while the largest
    count `top` is small (plotly's own steps from SMALL_COUNT up are whole already)."""
    axis = {"rangemode": "tozero", "tickformat": ",d", "automargin": True}
    if top is None or top < SMALL_COUNT:
        axis["dtick"] = 1
    return axis


def category_bars(counts: pl.DataFrame, msg: Messages) -> dict:
    """Horizontal bars: the day's count per category against the previous 7-day daily average.

    `counts` has columns category, day_count, previous_7d_daily_avg (one scope, no 'all')."""
    rows = counts.sort(
        ["day_count", "previous_7d_daily_avg", "category"], descending=[False, False, True]
    )
    labels = [msg.label("category", c) for c in rows["category"]]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": clean(rows["previous_7d_daily_avg"].round(2)),
            "name": msg.t("page", "previous_7d_avg"),
            "marker": {"color": "#c7c7c7"},
        },
        {
            "type": "bar",
            "orientation": "h",
            "y": labels,
            "x": clean(rows["day_count"]),
            "name": msg.t("page", "day"),
            "marker": {"color": "#1f77b4"},
        },
    ]
    return {
        "data": data,
        "layout": layout(
            max(260, 28 * len(labels) + 120),
            barmode="group",
            xaxis={
                "title": {"text": msg.t("page", "count")},
                **count_axis(largest(rows["day_count"], rows["previous_7d_daily_avg"])),
            },
        ),
    }


def _circle(lon: float, lat: float, radius_m: float, points: int = 24) -> tuple[list, list]:
    """A circle of radius_m around a point as a closed lon/lat ring."""
    dlat = radius_m / 111_195.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    angles = [2 * math.pi * k / points for k in range(points + 1)]
    return (
        [round(lon + dlon * math.cos(a), 6) for a in angles],
        [round(lat + dlat * math.sin(a), 6) for a in angles],
    )


def hot_class_trace(cells: pl.DataFrame, frame: dict, msg: Messages) -> dict | None:
    """The Gi* classes of `cells` (cell_x, cell_y, hot_class, cases, gi_z) as a heatmap on the
    bureau's lon/lat lattice (`frame`: lon0, lon_step, lat0, lat_step); cells not in `cells`
    stay empty. One bureau per trace: each bureau has its own grid."""
    if cells.height == 0 or not frame or frame.get("lon_step") is None:
        return None
    x0, x1 = cells["cell_x"].min(), cells["cell_x"].max()
    y0, y1 = cells["cell_y"].min(), cells["cell_y"].max()
    width, height = x1 - x0 + 1, y1 - y0 + 1
    z: list[list] = [[None] * width for _ in range(height)]
    text: list[list] = [[""] * width for _ in range(height)]
    hover = msg.t("map", "cell_hover")
    for x, y, hot_class, cases, gi_z in cells.select(
        "cell_x", "cell_y", "hot_class", "cases", "gi_z"
    ).iter_rows():
        z[y - y0][x - x0] = hot_class
        if hot_class:
            text[y - y0][x - x0] = hover.format(
                label=msg.label("hot_class", hot_class),
                cases=cases,
                z="—" if gi_z is None else f"{gi_z:.1f}",
            )
    steps = len(HOT_CLASS_COLOURS)
    colorscale = []
    for index, colour in enumerate(HOT_CLASS_COLOURS):
        colorscale += [[index / steps, colour], [(index + 1) / steps, colour]]
    return {
        "type": "heatmap",
        "x": [round(frame["lon0"] + frame["lon_step"] * i, 6) for i in range(x0, x1 + 1)],
        "y": [round(frame["lat0"] + frame["lat_step"] * j, 6) for j in range(y0, y1 + 1)],
        "z": z,
        "text": text,
        "hovertemplate": "%{text}<extra></extra>",
        "zmin": -3.5,
        "zmax": 3.5,
        "colorscale": colorscale,
        "hoverongaps": False,
        "name": msg.t("map", "hot_classes"),
        "colorbar": {
            "title": {"text": msg.t("map", "hot_classes")},
            "tickvals": list(range(-3, 4)),
            "ticktext": [msg.label("hot_class", k) for k in range(-3, 4)],
            "len": 0.8,
        },
    }


def hotspot_map(
    hot_traces: list[dict],
    communities: pl.DataFrame,
    stations: pl.DataFrame,
    cases: pl.DataFrame,
    alerts: pl.DataFrame,
    msg: Messages,
) -> dict:
    """Gi* classes on the grid, near-repeat alert zones, the day's cases, community points and
    station stars on plain lon/lat axes with an equal-distance aspect (no tiles)."""
    data = list(hot_traces)
    if alerts.height:
        xs: list = []
        ys: list = []
        for lon, lat, radius in alerts.select("center_lon", "center_lat", "radius_m").iter_rows():
            ring_x, ring_y = _circle(lon, lat, radius)
            xs += [*ring_x, None]
            ys += [*ring_y, None]
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "fill": "toself",
                "fillcolor": "rgba(148, 0, 211, 0.12)",
                "line": {"color": "#9400d3", "width": 1},
                "name": msg.t("map", "alert_zones"),
                "hoverinfo": "skip",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": clean(communities["lon"]) if communities.height else [],
            "y": clean(communities["lat"]) if communities.height else [],
            "mode": "markers",
            "name": msg.t("page", "community"),
            "marker": {"size": 5, "color": "#8c8c8c"},
            "text": communities["community_name"].to_list() if communities.height else [],
            "hoverinfo": "text",
        }
    )
    located = (
        cases.filter(pl.col("lon").is_not_null() & pl.col("lat").is_not_null())
        if cases.height
        else cases
    )
    if located.height:
        data.append(
            {
                "type": "scatter",
                "x": clean(located["lon"]),
                "y": clean(located["lat"]),
                "mode": "markers",
                "name": msg.t("map", "day_cases"),
                "marker": {"size": 7, "color": "#1f77b4", "line": {"width": 1, "color": "white"}},
                "text": [
                    f"{msg.label('category', c)} {t:%H:%M}"
                    for c, t in located.select("category", "reported_at").iter_rows()
                ],
                "hoverinfo": "text",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": clean(stations["lon"]) if stations.height else [],
            "y": clean(stations["lat"]) if stations.height else [],
            "mode": "markers",
            "name": msg.t("page", "station"),
            "marker": {"size": 13, "color": "black", "symbol": "star"},
            "text": stations["station_name"].to_list() if stations.height else [],
            "hoverinfo": "text",
        }
    )
    lats = communities["lat"] if communities.height else stations["lat"]
    mid_lat = lats.mean() if len(lats) else 35.0
    return {
        "data": data,
        "layout": layout(
            640,
            # one degree of latitude is 1/cos(lat) times as long as one of longitude
            yaxis={
                "scaleanchor": "x",
                "scaleratio": round(1 / math.cos(math.radians(mid_lat)), 6),
                "title": {"text": msg.t("page", "lat")},
                "showgrid": False,
                "zeroline": False,
            },
            xaxis={"title": {"text": msg.t("page", "lon")}, "showgrid": False, "zeroline": False},
        ),
    }


def time_heatmap(profile: pl.DataFrame, msg: Messages) -> dict:
    """Weekday × hour heatmap of aoristic weights (`profile`: weekday, hour, weight)."""
    rows = profile.select("weekday", "hour", "weight").iter_rows() if profile.height else []
    grid = {(d, h): w for d, h, w in rows}
    z = [[round(grid.get((day, hour), 0.0), 2) for hour in range(24)] for day in range(1, 8)]
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": list(range(24)),
                "y": [msg.label("weekday", day) for day in range(1, 8)],
                "colorscale": "YlOrRd",
                "colorbar": {"title": {"text": msg.t("page", "weight")}},
                "hovertemplate": "%{y} %{x}:00 — %{z:.2f}<extra></extra>",
            }
        ],
        "layout": layout(
            330,
            xaxis={"title": {"text": msg.t("page", "hour")}, "dtick": 2},
            yaxis={"autorange": "reversed"},
        ),
    }


def _grid_figure(titles: list[str], height_per_row: int):
    """A go.Figure of small multiples, three panels to a row."""
    from plotly.subplots import make_subplots

    cols = 3
    rows = max(1, math.ceil(len(titles) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        vertical_spacing=0.32 / rows,
        horizontal_spacing=0.06,
    )
    fig.update_layout(**layout(height_per_row * rows + 60))
    fig.update_layout(
        margin={"l": 50, "r": 20, "t": 70, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "top", "x": 0, "yref": "container"},
    )
    fig.update_xaxes(automargin=True)
    return fig, cols


def _too_short(fig, position: dict, text: str) -> None:
    """An empty panel that says its history is too short, in place of a stray point. The text
    sits in the middle of the panel in paper coordinates: plotly.js draws no subplot for axes
    without a trace, so "x2 domain" would not place it."""
    panel = fig.get_subplot(**position)
    fig.add_annotation(
        text=text,
        x=sum(panel.xaxis.domain) / 2,
        y=sum(panel.yaxis.domain) / 2,
        xref="paper",
        yref="paper",
        xanchor="center",
        yanchor="middle",
        showarrow=False,
        font={"color": "#6c757d"},
    )
    fig.update_xaxes(visible=False, **position)
    fig.update_yaxes(visible=False, **position)


def points(values) -> int:
    """How many values a line would be drawn through (the finite ones)."""
    return sum(v is not None for v in clean(values))


def _as_spec(fig) -> dict:
    """A go.Figure as the plain dict figure_html embeds (the commander view is one page a
    week, so the validation go.Figure brings is worth its cost here)."""
    return json.loads(fig.to_json())


def monthly_lines(panels: list[tuple[str, list[dict]]], msg: Messages) -> dict:
    """13 months per panel, this year's line against the same months last year (dashed);
    `panels` holds each panel's title and its monthly rows (reports/series.py)."""
    fig, cols = _grid_figure([title for title, _ in panels], 240)
    too_short = msg.t("trends", "too_short_monthly").format(n=MIN_POINTS)
    for index, (_, rows) in enumerate(panels):
        position = {"row": index // cols + 1, "col": index % cols + 1}
        current, last_year = [r["current"] for r in rows], [r["last_year"] for r in rows]
        if points(current) < MIN_POINTS:
            _too_short(fig, position, too_short)
            continue
        fig.update_yaxes(**count_axis(largest(current, last_year)), **position)
        months = [r["month"] for r in rows]
        # the last month runs only to as_of: a hollow marker says it is not a whole month
        symbols = ["circle"] * (len(rows) - 1) + ["circle-open"]
        fig.add_scatter(
            x=months,
            y=current,
            mode="lines+markers",
            name=msg.t("trends", "this_period"),
            line={"color": "#1f5fa8"},
            marker={"symbol": symbols, "size": 7},
            legendgroup="current",
            showlegend=index == 0,
            **position,
        )
        fig.add_scatter(
            x=months,
            y=last_year,
            mode="lines",
            name=msg.t("trends", "last_year"),
            line={"color": "#8c96a1", "dash": "dash"},
            legendgroup="last_year",
            showlegend=index == 0,
            **position,
        )
    fig.update_xaxes(type="category", tickangle=0, nticks=4)
    return _as_spec(fig)


def rolling_bands(panels: list[tuple[str, pl.DataFrame]], msg: Messages) -> dict:
    """Rolling 28-day counts over up to 3 years per panel, with the Poisson control band;
    `panels` holds each panel's title and its rolling rows (reports/series.py)."""
    fig, cols = _grid_figure([title for title, _ in panels], 240)
    too_short = msg.t("trends", "too_short_rolling").format(n=MIN_POINTS)
    for index, (_, rows) in enumerate(panels):
        position = {"row": index // cols + 1, "col": index % cols + 1}
        if points(rows["rolling"]) < MIN_POINTS:
            _too_short(fig, position, too_short)
            continue
        fig.update_yaxes(**count_axis(largest(rows["rolling"], rows["upper"])), **position)
        x = [d.isoformat() for d in rows["reported_date"]]
        fig.add_scatter(
            x=x,
            y=clean(rows["upper"]),
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            **position,
        )
        fig.add_scatter(
            x=x,
            y=clean(rows["lower"]),
            mode="lines",
            fill="tonexty",
            fillcolor="rgba(31, 95, 168, 0.12)",
            line={"width": 0},
            name=msg.t("trends", "band"),
            legendgroup="band",
            showlegend=index == 0,
            hoverinfo="skip",
            **position,
        )
        fig.add_scatter(
            x=x,
            y=clean(rows["mean"]),
            mode="lines",
            line={"color": "#8c96a1", "dash": "dot", "width": 1},
            name=msg.t("trends", "band_mean"),
            legendgroup="mean",
            showlegend=index == 0,
            **position,
        )
        fig.add_scatter(
            x=x,
            y=rows["rolling"].to_list(),
            mode="lines",
            line={"color": "#1f5fa8", "width": 1.5},
            name=msg.t("trends", "rolling"),
            legendgroup="rolling",
            showlegend=index == 0,
            **position,
        )
    return _as_spec(fig)
