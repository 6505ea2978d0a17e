"""The commander view, HOME/trends/<date>/index.html, built weekly (dags/beatbrief_weekly.py):
13-month and 3-year trend lines with the same period last year, rolling 28-day counts with
control bands, emerging hotspots per community, a league table of stations on the four KPIs
and the norms, and links down to every station's briefing.

Control band (documented in docs/metrics.md, "Page flags and trend charts"): for each day d,
mu = the mean daily count over the 365 days ending 28 days before d (so the band never contains
the 28 days it judges), times 28; the band is mu ± 2·sqrt(mu), the Poisson band of a 28-day
count. It is drawn only where at least half of that year is in the warehouse's history.
A history shorter than the charts' span shows what exists and says so; nothing is extrapolated.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from reports import figures, views
from reports.data import run_query
from reports.messages import Messages
from reports.methods import page_globals, write_methods
from reports.paths import INDEX_PAGE, bureau_page, station_page, trends_dir
from reports.quality import link_quality, read_quality
from reports.render import atomic_write, ensure_plotly_js, templates
from reports.site import publish_site_index
from transforms import warehouse

YEARS = 3
BASELINE_DAYS = 365
ROLLING_DAYS = 28
MIN_BASELINE_DAYS = 182
PANELS_TOP_CATEGORIES = 5
EMERGING_PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "sporadic",
    "oscillating",
    "diminishing",
    "historical",
)


def _month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _same_day_last_year(day: date) -> date:
    """The same calendar day a year earlier (Feb 29 -> Feb 28)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def daily_series(series: pl.DataFrame, first: date, as_of: date) -> pl.DataFrame:
    """Daily counts per (dimension, category) summed over bureaus, every day from `first` to
    `as_of` present (zeros included)."""
    days = pl.DataFrame({"reported_date": pl.date_range(first, as_of, eager=True)})
    keys = series.select("dimension", "category").unique()
    grid = keys.join(days, how="cross")
    totals = series.group_by("dimension", "category", "reported_date").agg(pl.col("cases").sum())
    return (
        grid.join(totals, on=["dimension", "category", "reported_date"], how="left")
        .with_columns(pl.col("cases").fill_null(0))
        .sort("dimension", "category", "reported_date")
    )


def monthly_rows(daily: pl.DataFrame, first: date, as_of: date) -> list[dict]:
    """The 13 months ending with `as_of`'s month (the last one cut at `as_of`'s day) and the
    same months a year earlier cut the same way; a month not wholly in the history is null."""
    counts = dict(zip(daily["reported_date"].to_list(), daily["cases"].to_list(), strict=True))

    def total(start: date, end: date):
        if start < first:
            return None
        return sum(counts.get(start + timedelta(days=k), 0) for k in range((end - start).days + 1))

    rows = []
    for back in range(12, -1, -1):
        start = _month_start(as_of, back)
        end = as_of if back == 0 else _month_start(as_of, back - 1) - timedelta(days=1)
        rows.append(
            {
                "month": start.strftime("%Y-%m"),
                "current": total(start, end),
                "last_year": total(_same_day_last_year(start), _same_day_last_year(end)),
            }
        )
    return rows


def rolling_rows(daily: pl.DataFrame, first: date, as_of: date) -> pl.DataFrame:
    """Rolling 28-day counts over the last 3 years (where the history allows) with the control
    band of each day (null where less than half of its baseline year is in the history)."""
    values = daily["cases"].to_list()
    dates = daily["reported_date"].to_list()
    prefix = [0]
    for v in values:
        prefix.append(prefix[-1] + v)
    start = max(first + timedelta(days=ROLLING_DAYS - 1), as_of - timedelta(days=365 * YEARS - 1))
    out = {"reported_date": [], "rolling": [], "mean": [], "lower": [], "upper": []}
    for index, day in enumerate(dates):
        if day < start:
            continue
        rolling = prefix[index + 1] - prefix[index + 1 - ROLLING_DAYS]
        base_end = index + 1 - ROLLING_DAYS  # exclusive: the day before the 28-day window
        base_start = max(0, base_end - BASELINE_DAYS)
        mean = lower = upper = None
        if base_end - base_start >= MIN_BASELINE_DAYS:
            mean = (prefix[base_end] - prefix[base_start]) / (base_end - base_start) * ROLLING_DAYS
            lower = max(0.0, mean - 2 * math.sqrt(mean))
            upper = mean + 2 * math.sqrt(mean)
        for key, value in (
            ("reported_date", day),
            ("rolling", rolling),
            ("mean", mean),
            ("lower", lower),
            ("upper", upper),
        ):
            out[key].append(value)
    return pl.DataFrame(
        out,
        schema={
            "reported_date": pl.Date,
            "rolling": pl.Int64,
            "mean": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
        },
    )


def panels(daily: pl.DataFrame, as_of: date) -> list[tuple[str, str]]:
    """Which series get a panel: the total, the three main kinds, the top categories of the
    last year."""
    chosen = [("total", "all"), ("kind", "criminal"), ("kind", "public_order"), ("kind", "dispute")]
    recent = (
        daily.filter(
            (pl.col("dimension") == "category")
            & (pl.col("reported_date") > as_of - timedelta(days=365))
        )
        .group_by("category")
        .agg(pl.col("cases").sum())
        .sort(["cases", "category"], descending=[True, False])
    )
    chosen += [("category", c) for c in recent["category"].head(PANELS_TOP_CATEGORIES)]
    present = set(daily.select("dimension", "category").unique().iter_rows())
    return [p for p in chosen if p in present]


def _panel_title(panel: tuple[str, str], msg: Messages) -> str:
    dimension, category = panel
    if dimension == "total":
        return msg.t("compstat", "total")
    return msg.label("kind" if dimension == "kind" else "category", category)


def _grid_figure(titles: list[str], height_per_row: int):
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
    fig.update_layout(**figures.layout(height_per_row * rows + 60))
    fig.update_layout(
        margin={"l": 50, "r": 20, "t": 70, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "top", "x": 0, "yref": "container"},
    )
    return fig, cols


def _as_spec(fig) -> dict:
    """A go.Figure as the plain dict figure_html embeds (the trends page is one page a week,
    so the validation go.Figure brings is worth its cost here)."""
    return json.loads(fig.to_json())


def monthly_figure(
    daily: pl.DataFrame, chosen: list, first: date, as_of: date, msg: Messages
) -> dict:
    """13 months per panel, this year's line against the same months last year (dashed)."""
    fig, cols = _grid_figure([_panel_title(p, msg) for p in chosen], 240)
    for index, (dimension, category) in enumerate(chosen):
        rows = monthly_rows(
            daily.filter((pl.col("dimension") == dimension) & (pl.col("category") == category)),
            first,
            as_of,
        )
        position = {"row": index // cols + 1, "col": index % cols + 1}
        months = [r["month"] for r in rows]
        # the last month runs only to as_of: a hollow marker says it is not a whole month
        symbols = ["circle"] * (len(rows) - 1) + ["circle-open"]
        fig.add_scatter(
            x=months,
            y=[r["current"] for r in rows],
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
            y=[r["last_year"] for r in rows],
            mode="lines",
            name=msg.t("trends", "last_year"),
            line={"color": "#8c96a1", "dash": "dash"},
            legendgroup="last_year",
            showlegend=index == 0,
            **position,
        )
    fig.update_xaxes(type="category", tickangle=0, nticks=4)
    return _as_spec(fig)


def rolling_figure(
    daily: pl.DataFrame, chosen: list, first: date, as_of: date, msg: Messages
) -> dict:
    """Rolling 28-day counts over up to 3 years per panel, with the Poisson control band."""
    fig, cols = _grid_figure([_panel_title(p, msg) for p in chosen], 240)
    for index, (dimension, category) in enumerate(chosen):
        rows = rolling_rows(
            daily.filter((pl.col("dimension") == dimension) & (pl.col("category") == category)),
            first,
            as_of,
        )
        position = {"row": index // cols + 1, "col": index % cols + 1}
        x = [d.isoformat() for d in rows["reported_date"]]
        fig.add_scatter(
            x=x,
            y=figures.clean(rows["upper"]),
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            **position,
        )
        fig.add_scatter(
            x=x,
            y=figures.clean(rows["lower"]),
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
            y=figures.clean(rows["mean"]),
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


def emerging_rows(
    emerging: pl.DataFrame,
    communities: pl.DataFrame,
    stations: pl.DataFrame,
    station_href,
    msg: Messages,
    limit: int = 30,
) -> tuple[list[dict], int]:
    """Hot-spot patterns per community: cells of each Esri category, the emerging ones first."""
    if emerging.height == 0:
        return [], 0
    hot = emerging.filter(pl.col("spot_type") == "hot")
    if hot.height == 0:
        return [], 0
    counts = hot.group_by("community_id", "pattern").agg(pl.len().alias("cells"))
    names = (
        dict(communities.select("community_id", "community_name").iter_rows())
        if communities.height
        else {}
    )
    station_of = (
        dict(communities.select("community_id", "station_id").iter_rows())
        if communities.height
        else {}
    )
    station_names = (
        dict(stations.select("station_id", "station_name").iter_rows()) if stations.height else {}
    )
    by_community: dict[str, dict] = {}
    for community_id, pattern, cells in counts.iter_rows():
        by_community.setdefault(community_id, {})[pattern] = cells
    rows = []
    for community_id, patterns in by_community.items():
        emerging_cells = sum(patterns.get(p, 0) for p in ("new", "consecutive", "intensifying"))
        station_id = station_of.get(community_id)
        rows.append(
            {
                "community": names.get(community_id, community_id or views.DASH),
                "station": station_names.get(station_id, station_id or views.DASH),
                "href": station_href(station_id) if station_id else None,
                "counts": [
                    views.fmt_int(patterns.get(p, 0)) if patterns.get(p) else ""
                    for p in EMERGING_PATTERNS
                ],
                "order": (-emerging_cells, -patterns.get("persistent", 0), community_id or ""),
            }
        )
    rows.sort(key=lambda r: r["order"])
    return rows[:limit], len(rows)


def league(kpis: pl.DataFrame, scorecard: pl.DataFrame, station_href, msg: Messages) -> list[dict]:
    """Stations in mart_kpis' league order (the mean of the four KPI ranks), each KPI with its
    rank, and the norms met beside them."""
    stations = kpis.filter(pl.col("scope") == "station") if kpis.height else kpis
    if stations.height == 0:
        return []
    cards_of = {r["station_id"]: r for r in scorecard.iter_rows(named=True)}
    rows = []
    for row in stations.sort("league_place").iter_rows(named=True):
        card = cards_of.get(row["scope_id"], {})
        cards = views.kpi_cards(row, msg)
        ranks = ("rank_few_cases", "rank_good_order", "rank_stability", "rank_satisfaction")
        for c, rank in zip(cards, ranks, strict=True):
            c["rank"] = views.fmt_int(row[rank])
        rows.append(
            {
                "place": row["league_place"],
                "name": card.get("station_name") or row["scope_id"],
                "bureau_id": card.get("bureau_id"),
                "href": station_href(row["scope_id"]),
                "kpis": cards,
                "norms": views.norms_met(card, msg),
            }
        )
    return rows


def history_note(first: date | None, as_of: date, msg: Messages) -> str | None:
    """Say so when the history is shorter than the charts' 3 years (plus the band's year)."""
    wanted = as_of - timedelta(days=365 * YEARS - 1)
    if first is None:
        return msg.t("trends", "no_history")
    if first > wanted:
        return msg.t("trends", "short_history").format(first=first.isoformat(), years=YEARS)
    return None


def build_trends(settings: Settings, as_of: date, msg: Messages, folder: Path) -> dict:
    """The template context of the commander view."""
    start = as_of - timedelta(days=365 * YEARS + BASELINE_DAYS + ROLLING_DAYS)
    with warehouse.connect(settings) as con:
        bounds = run_query(con, "history_start", None)
        series = run_query(con, "case_series", {"as_of_date": as_of, "start_date": start})
        scorecard = run_query(con, "scorecard", {"as_of_date": as_of})
        kpis = run_query(con, "kpis", {"as_of_date": as_of})
        emerging = run_query(con, "emerging", {"as_of_date": as_of})
        communities = run_query(con, "communities", None)
        stations = run_query(con, "stations", None)
        quality = read_quality(con, as_of, msg, settings.hotspot_window_days)
    link_quality(quality, settings, as_of, folder)
    first = bounds["first_date"][0] if bounds.height and bounds["first_date"][0] else None
    briefing = settings.briefing_dir(as_of)
    several = stations.height and stations["bureau_id"].n_unique() > 1

    def station_href(station_id: str) -> str | None:
        target = briefing / station_page(station_id)
        return os.path.relpath(target, folder) if target.exists() else None

    context = {
        "as_of": as_of.isoformat(),
        "as_of_weekday": msg.label("weekday", as_of.isoweekday()),
        "region_name": "、".join(sorted(stations["bureau_name"].unique().to_list()))
        if stations.height
        else "",
        "history_note": history_note(first, as_of, msg),
        "first_date": first.isoformat() if first else views.DASH,
        "quality": quality,
        "cases_ok": quality.feed_ok("cases"),
        "nav": {
            "site": os.path.relpath(settings.home / INDEX_PAGE, folder),
            "briefing": os.path.relpath(briefing / INDEX_PAGE, folder)
            if (briefing / INDEX_PAGE).exists()
            else None,
        },
        "league_rows": league(kpis, scorecard, station_href, msg),
        "patterns": EMERGING_PATTERNS,
        "figures": {},
    }
    context["emerging_rows"], context["emerging_count"] = emerging_rows(
        emerging, communities, stations, station_href, msg
    )
    bureaus = []
    if stations.height:
        for bureau_id, name in sorted(set(stations.select("bureau_id", "bureau_name").iter_rows())):
            page = briefing / (bureau_page(bureau_id) if several else INDEX_PAGE)
            members = stations.filter(pl.col("bureau_id") == bureau_id).sort("station_id")
            bureaus.append(
                {
                    "name": name,
                    "href": os.path.relpath(page, folder) if page.exists() else None,
                    "stations": [
                        {"name": s["station_name"], "href": station_href(s["station_id"])}
                        for s in members.iter_rows(named=True)
                    ],
                }
            )
    context["bureaus"] = bureaus
    if first is not None and series.height:
        daily = daily_series(series, max(first, start), as_of)
        chosen = panels(daily, as_of)
        context["figures"] = {
            "monthly": figures.figure_html(
                monthly_figure(daily, chosen, first, as_of, msg), "fig-trend-13m"
            ),
            "rolling": figures.figure_html(
                rolling_figure(daily, chosen, first, as_of, msg), "fig-trend-3y"
            ),
        }
    return context


def publish_trends(settings: Settings, as_of: date) -> Path:
    """Write the commander view for `as_of` (plotly.min.js and methods.html beside it) and
    rebuild the index site; return the page's path."""
    msg = Messages(settings.language)
    folder = trends_dir(settings, as_of)
    generated_at = datetime.now().replace(microsecond=0)
    context = build_trends(settings, as_of, msg, folder)
    ensure_plotly_js(folder)
    write_methods(folder, msg, generated_at)
    html = (
        templates()
        .get_template("trends.html.j2")
        .render(**page_globals(msg, generated_at), **context)
    )
    target = folder / INDEX_PAGE
    atomic_write(target, html)
    publish_site_index(settings)
    return target


def latest_briefed_day(settings: Settings, on_or_before: date) -> date:
    """The newest day on or before `on_or_before` with a published daily briefing (the weekly
    view waits for nothing: if the daily run is late, it shows the latest briefed day); the day
    itself when none exists yet."""
    root = settings.home / "briefings"
    days = []
    if root.is_dir():
        for folder in root.iterdir():
            try:
                day = date.fromisoformat(folder.name)
            except ValueError:
                continue
            if day <= on_or_before and (folder / INDEX_PAGE).is_file():
                days.append(day)
    return max(days, default=on_or_before)


def weekly_as_of(settings: Settings, run_day: date) -> date:
    """The day a Monday-morning weekly run reports on: the Sunday before, or the latest briefed
    day before it."""
    return latest_briefed_day(settings, run_day - timedelta(days=1))
