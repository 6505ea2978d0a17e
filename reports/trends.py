"""The commander view, HOME/trends/<date>/index.html, built weekly (dags/beatbrief_weekly.py):
13-month and 3-year trend lines with the same period last year, rolling 28-day counts with
control bands, emerging hotspots per community, a league of stations on the four KPIs and the
norms, and links down to every station's briefing.

Built from parts: the series maths in reports/series.py, the charts in reports/figures.py, the
KPI cards and norms of the kpis and scorecard sections, the queries of reports/queries/ (its
own: case_series, history_start, emerging). Which day a weekly run reports on is
reports/schedule.py's rule, re-exported here for the DAG.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from reports import figures, series
from reports.data import Frames, read_frames
from reports.messages import Messages
from reports.methods import page_globals, write_methods
from reports.paths import INDEX_PAGE, briefing_page, bureau_page, station_page, trends_dir
from reports.quality import link_quality
from reports.render import atomic_write, ensure_plotly_js, templates
from reports.schedule import latest_briefed_day, weekly_as_of
from reports.sections.data_quality import read_quality
from reports.sections.kpis import kpi_cards
from reports.sections.scorecard import norms_met
from reports.site import publish_site_index
from reports.views import DASH, fmt_int
from transforms import warehouse

__all__ = ["build_trends", "latest_briefed_day", "publish_trends", "weekly_as_of"]
QUERIES = (
    "history_start",
    "case_series",
    "case_series__months",
    "scorecard",
    "kpis",
    "emerging",
    "communities",
    "stations",
)
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


def panel_title(panel: tuple[str, str], msg: Messages) -> str:
    """A chart panel's title: the total, a kind or a category."""
    dimension, category = panel
    if dimension == "total":
        return msg.t("compstat", "total")
    return msg.label("kind" if dimension == "kind" else "category", category)


def emerging_rows(
    emerging: pl.DataFrame,
    communities: pl.DataFrame,
    stations: pl.DataFrame,
    station_href,
    msg: Messages,
    limit: int = 30,
) -> tuple[list[dict], int]:
    """Hot-spot patterns per community (queries/emerging.sql): cells of each Esri category, in
    the query's order, the most emerging first."""
    if emerging.height == 0:
        return [], 0
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
    by_community: dict[int, tuple] = {}
    for row in emerging.sort("community_rank").iter_rows(named=True):
        _, cells = by_community.setdefault(row["community_rank"], (row["community_id"], {}))
        cells[row["pattern"]] = row["cells"]
    rows = []
    for community_id, patterns in by_community.values():
        station_id = station_of.get(community_id)
        rows.append(
            {
                "community": names.get(community_id, community_id or DASH),
                "station": station_names.get(station_id, station_id or DASH),
                "href": station_href(station_id) if station_id else None,
                "counts": [
                    fmt_int(patterns.get(p, 0)) if patterns.get(p) else ""
                    for p in EMERGING_PATTERNS
                ],
            }
        )
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
        cards = kpi_cards(row, msg)
        ranks = ("rank_few_cases", "rank_good_order", "rank_stability", "rank_satisfaction")
        for c, rank in zip(cards, ranks, strict=True):
            c["rank"] = fmt_int(row[rank])
        rows.append(
            {
                "place": row["league_place"],
                "name": card.get("station_name") or row["scope_id"],
                "bureau_id": card.get("bureau_id"),
                "href": station_href(row["scope_id"]),
                "kpis": cards,
                "norms": norms_met(card, msg),
            }
        )
    return rows


def history_note(first: date | None, as_of: date, msg: Messages) -> str | None:
    """Say so when the history is shorter than the charts' 3 years (plus the band's year)."""
    wanted = as_of - timedelta(days=365 * series.YEARS - 1)
    if first is None:
        return msg.t("trends", "no_history")
    if first > wanted:
        return msg.t("trends", "short_history").format(first=first.isoformat(), years=series.YEARS)
    return None


def drilldown(
    stations: pl.DataFrame, briefing: Path, folder: Path, station_href, per_bureau: bool = False
) -> list[dict]:
    """Every bureau of the day with its briefing and its stations' briefings (links only where
    the page exists); `per_bureau`: the bureau of a province, whose page is bureau-<id>.html."""
    if stations.height == 0:
        return []
    several = per_bureau or stations["bureau_id"].n_unique() > 1
    bureaus = []
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
    return bureaus


def trend_figures(frames: Frames, first: date | None, as_of: date, msg: Messages) -> dict:
    """The two chart grids (13 months, 3 years rolling) of the chosen panels; none without a
    case history."""
    if first is None or frames["case_series"].height == 0:
        return {}
    daily = series.daily_series(
        frames["case_series"], max(first, series.series_start(as_of)), as_of
    )
    chosen = series.panels(daily, as_of)
    titles = [panel_title(p, msg) for p in chosen]
    panel_days = [series.panel_series(daily, p) for p in chosen]
    monthly = [series.monthly_rows(frames["case_series__months"], p) for p in chosen]
    rolling = [series.rolling_rows(days, first, as_of) for days in panel_days]
    return {
        "monthly": figures.figure_html(
            figures.monthly_lines(list(zip(titles, monthly, strict=True)), msg), "fig-trend-13m"
        ),
        "rolling": figures.figure_html(
            figures.rolling_bands(list(zip(titles, rolling, strict=True)), msg), "fig-trend-3y"
        ),
    }


def build_trends(settings: Settings, as_of: date, msg: Messages, folder: Path) -> dict:
    """The template context of the commander view."""
    values = {"as_of_date": as_of, "start_date": series.series_start(as_of)}
    with warehouse.connect(settings) as con:
        frames = read_frames(con, QUERIES, values)
        quality = read_quality(con, as_of, msg, settings.hotspot_window_days)
    link_quality(quality, settings, as_of, folder)
    bounds, stations = frames["history_start"], frames["stations"]
    first = bounds["first_date"][0] if bounds.height and bounds["first_date"][0] else None
    briefing = settings.briefing_dir(as_of)
    top = briefing_page(settings, as_of)

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
        "first_date": first.isoformat() if first else DASH,
        "quality": quality,
        "cases_ok": quality.feed_ok("cases"),
        "nav": {
            "site": os.path.relpath(settings.home / INDEX_PAGE, folder),
            "briefing": os.path.relpath(top, folder) if top.exists() else None,
        },
        "league_rows": league(frames["kpis"], frames["scorecard"], station_href, msg),
        "patterns": EMERGING_PATTERNS,
        "bureaus": drilldown(stations, briefing, folder, station_href, bool(settings.bureau)),
        "figures": trend_figures(frames, first, as_of, msg),
    }
    context["emerging_rows"], context["emerging_count"] = emerging_rows(
        frames["emerging"], frames["communities"], stations, station_href, msg
    )
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
    target = folder / (bureau_page(settings.bureau) if settings.bureau else INDEX_PAGE)
    atomic_write(target, html)
    if not settings.bureau:  # a province's index site is rebuilt by its own roll-up
        publish_site_index(settings)
    return target
