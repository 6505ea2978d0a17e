"""Publish the daily briefing: read the marts once, build every page, write atomically.

Output, all in HOME/briefings/<date>/ with one shared plotly.min.js and methods.html beside the
pages, so the folder opens from a file share or USB stick with no network:
- index.html: the roll-up of every bureau of the day. With one bureau (a county) it is that
  bureau's full briefing; with several it leads with their sums and a league of bureaus and
  links to one full page per bureau, bureau-<bureau_id>.html.
- <station_id>.html: one full briefing per station.
Then the day's data-quality page (HOME/quality/<date>/) and the index site (HOME/index.html).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
from jinja2 import Environment

from beatbrief.config import Settings
from reports import figures, views
from reports.data import Frames, read_day
from reports.messages import Messages
from reports.methods import page_globals, write_methods
from reports.paths import (
    INDEX_PAGE,
    bureau_page,
    check_unique,
    inside,
    station_page,
)
from reports.quality import QualityView, link_quality, quality_page_path, read_quality
from reports.render import atomic_write, ensure_plotly_js, templates
from reports.site import publish_site_index
from transforms import warehouse

log = logging.getLogger(__name__)
APPENDIX = (
    "compstat",
    "flags",
    "kpi_few_cases",
    "hotspots",
    "segments",
    "places",
    "time",
    "periods",
    "alerts",
    "patrol",
    "plan",
    "scorecard",
    "forecast",
)


@dataclass
class Scope:
    """What one page covers: every bureau (index.html), one bureau or one station."""

    kind: str  # "region", "bureau" or "station"
    page: str
    name: str
    station_ids: list[str]
    bureau_ids: list[str]
    detail: bool  # map, segments, time, alerts, patrol, forecast sections
    up: str | None = None  # the page one level up
    up_label: str = ""
    extra: dict = field(default_factory=dict)


def _names(frame: pl.DataFrame, key: str, name: str) -> dict[str, str]:
    if frame.height == 0:
        return {}
    return dict(frame.select(key, name).iter_rows())


def scopes_of_day(frames: Frames) -> list[Scope]:
    """The pages of a day: index.html, a page per bureau when there are several, a page per
    station. Every id is checked before anything is written."""
    stations = frames["stations"]
    if stations.height == 0:
        station_ids = sorted(
            set(frames["scorecard"]["station_id"].to_list()) if frames["scorecard"].height else []
        )
        bureau_of = (
            dict(frames["scorecard"].select("station_id", "bureau_id").iter_rows())
            if frames["scorecard"].height
            else {}
        )
        names, bureau_names = {}, {}
    else:
        station_ids = sorted(stations["station_id"].to_list())
        bureau_of = dict(stations.select("station_id", "bureau_id").iter_rows())
        names = _names(stations, "station_id", "station_name")
        bureau_names = _names(stations, "bureau_id", "bureau_name")
    bureau_ids = sorted(set(bureau_of.values()))
    several = len(bureau_ids) > 1
    region_name = "、".join(bureau_names.get(b, b) for b in bureau_ids)
    scopes = [Scope("region", INDEX_PAGE, region_name, station_ids, bureau_ids, detail=not several)]
    if several:
        for bureau_id in bureau_ids:
            members = [s for s in station_ids if bureau_of[s] == bureau_id]
            scopes.append(
                Scope(
                    "bureau",
                    bureau_page(bureau_id),
                    bureau_names.get(bureau_id, bureau_id),
                    members,
                    [bureau_id],
                    detail=True,
                    up=INDEX_PAGE,
                )
            )
    for station_id in station_ids:
        bureau_id = bureau_of[station_id]
        up = bureau_page(bureau_id) if several else INDEX_PAGE
        scopes.append(
            Scope(
                "station",
                station_page(station_id),
                names.get(station_id, station_id),
                [station_id],
                [bureau_id],
                detail=True,
                up=up,
                up_label=bureau_names.get(bureau_id, bureau_id),
            )
        )
    check_unique([s.page for s in scopes[1:]])  # index.html is scopes[0]
    return scopes


def _concat(parts: list[pl.DataFrame]) -> pl.DataFrame:
    parts = [p for p in parts if p.width]
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()


def _gather(frames: Frames, name: str, key: str, ids: list[str]) -> pl.DataFrame:
    """The rows of a frame for several ids of one key (stations of a bureau, ...)."""
    return _concat([frames.part(name, key, i) for i in ids])


def _station_scoped(frames: Frames, name: str, scope: Scope) -> pl.DataFrame:
    """A scope/scope_id frame's rows for the page: the station's, or the bureaus' summed."""
    if scope.kind == "station":
        return frames.scoped(name, "station", scope.station_ids[0])
    return _concat([frames.scoped(name, "bureau", b) for b in scope.bureau_ids])


def mart_scope(scope: Scope) -> tuple[str, str]:
    """The marts' (scope, scope_id) of a page: its station, its bureau, or the region."""
    if scope.kind == "station":
        return "station", scope.station_ids[0]
    if scope.kind == "bureau":
        return "bureau", scope.bureau_ids[0]
    return "region", "all"


def _kpi_row(frames: Frames, kind: str, scope_id: str) -> dict | None:
    """One scope's mart_kpis row (None when the mart has none)."""
    rows = frames.scoped("kpis", kind, scope_id)
    return rows.row(0, named=True) if rows.height else None


def league_rows(frames: Frames, scope: Scope, msg: Messages) -> tuple:
    """League tables of a bureau or region page: its stations, and its bureaus when several."""
    scorecard = frames["scorecard"]
    today = frames["daily_counts"]
    if scorecard.height == 0:
        return [], []
    names = _names(frames["stations"], "station_id", "station_name")

    def today_of(scope_kind: str, ids: list[str]) -> str:
        rows = _concat([frames.scoped("daily_counts", scope_kind, i) for i in ids])
        if rows.height == 0 or today.height == 0:
            return views.fmt_int(0)
        return views.fmt_int(rows.filter(pl.col("category") == "all")["day_count"].sum())

    stations = []
    for station_id in scope.station_ids:
        card = frames.part("scorecard", "station_id", station_id)
        if card.height == 0:
            continue
        stations.append(
            {
                "name": names.get(station_id, station_id),
                "href": station_page(station_id),
                "today": today_of("station", [station_id]),
                "kpis": views.kpi_cards(_kpi_row(frames, "station", station_id), msg),
                "norms": views.norms_met(card.row(0, named=True), msg),
            }
        )
    bureaus = []
    if scope.kind == "region" and len(scope.bureau_ids) > 1:
        bureau_names = _names(frames["stations"], "bureau_id", "bureau_name")
        for bureau_id in scope.bureau_ids:
            card = frames.part("scorecard", "bureau_id", bureau_id)
            if card.height == 0:
                continue
            rows = list(card.iter_rows(named=True))
            met = [views.norms_met(r, msg) for r in rows]
            bureaus.append(
                {
                    "name": bureau_names.get(bureau_id, bureau_id),
                    "href": bureau_page(bureau_id),
                    "today": today_of("bureau", [bureau_id]),
                    "kpis": views.kpi_cards(_kpi_row(frames, "bureau", bureau_id), msg),
                    "norms": {
                        "text": f"{sum(m['all_met'] for m in met)}/{len(met)}",
                        "failed": "",
                        "all_met": all(m["all_met"] for m in met),
                    },
                }
            )
    return stations, bureaus


def hot_traces(frames: Frames, scope: Scope, msg: Messages) -> list[dict]:
    """One Gi* heatmap trace per bureau on the page (a station: its own cells only)."""
    grid = {r["bureau_id"]: r for r in frames["grid_frames"].iter_rows(named=True)}
    traces = []
    for bureau_id in scope.bureau_ids:
        cells = frames.part("hot_cells", "bureau_id", bureau_id)
        if scope.kind == "station" and cells.height:
            cells = frames.part("hot_cells", "station_id", scope.station_ids[0])
        trace = figures.hot_class_trace(cells, grid.get(bureau_id), msg)
        if trace is not None:
            traces.append(trace)
    return traces


def build_page(
    frames: Frames,
    scope: Scope,
    msg: Messages,
    settings: Settings,
    quality: QualityView,
    as_of: date,
    folder: Path,
) -> dict:
    """The template context of one briefing page."""
    station_names = _names(frames["stations"], "station_id", "station_name")
    community_names = _names(frames["communities"], "community_id", "community_name")
    single_station = scope.kind == "station"

    compstat = views.compstat_rows(frames.scoped("trends", *mart_scope(scope)), msg)

    counts = _station_scoped(frames, "daily_counts", scope)
    if counts.height:
        counts = (
            counts.group_by("category")
            .agg(pl.col("day_count").sum(), pl.col("previous_7d_daily_avg").sum())
            .sort("category")
        )
    by_category = counts.filter(pl.col("category") != "all") if counts.height else counts
    total = counts.filter(pl.col("category") == "all") if counts.height else counts

    scorecard = _gather(frames, "scorecard", "station_id", scope.station_ids)
    context = {
        "page_title": msg.t("page", f"title_{scope.kind}").format(name=scope.name),
        "scope_label": msg.t("page", f"scope_{scope.kind}"),
        "scope_name": scope.name,
        "as_of": as_of.isoformat(),
        "as_of_weekday": msg.label("weekday", as_of.isoweekday()),
        "nav": {
            "site": os.path.relpath(settings.home / INDEX_PAGE, folder),
            "up": scope.up,
            "up_label": scope.up_label or msg.t("page", "scope_region"),
        },
        "detail": scope.detail,
        "total_today": views.fmt_int(total["day_count"].sum() if total.height else 0),
        "total_prev_avg": views.fmt_num(
            total["previous_7d_daily_avg"].sum() if total.height else 0.0
        ),
        "cases_ok": quality.feed_ok("cases"),
        "kpis": views.kpi_cards(_kpi_row(frames, *mart_scope(scope)), msg),
        "compstat": compstat,
        "windows": views.WINDOWS,
        "changes": views.changes(compstat, msg),
        "category_rows": views.category_rows(by_category, msg),
        "quality": quality,
        "appendix": APPENDIX,
        "norm_rows": [],
        "indicator_rows": [],
        "station_league": [],
        "bureau_league": [],
    }
    figs = {}
    if by_category.height:
        figs["categories"] = figures.figure_html(
            figures.category_bars(by_category, msg), "fig-categories"
        )
    if single_station and scorecard.height:
        context["norm_rows"], context["indicator_rows"] = views.scorecard_rows(
            scorecard.row(0, named=True), msg
        )
    if not single_station:
        context["station_league"], context["bureau_league"] = league_rows(frames, scope, msg)
    if scope.detail:
        key, ids = (
            ("station_id", scope.station_ids) if single_station else ("bureau_id", scope.bureau_ids)
        )
        alerts = _gather(frames, "alerts", key, ids)
        cases = _gather(frames, "day_cases", "station_id", scope.station_ids)
        communities = _gather(frames, "communities", key, ids)
        stations = _gather(frames, "stations", key, ids)
        figs["map"] = figures.figure_html(
            figures.hotspot_map(
                hot_traces(frames, scope, msg), communities, stations, cases, alerts, msg
            ),
            "fig-map",
        )
        profile = _station_scoped(frames, "time_profile", scope)
        if profile.height:
            profile = profile.group_by("weekday", "hour").agg(pl.col("weight").sum())
        figs["heatmap"] = figures.figure_html(figures.time_heatmap(profile, msg), "fig-heatmap")
        segments = _gather(frames, "segments", key, ids)
        rank = "station_rank_by_count" if single_station else "rank_by_count"
        plan = _gather(frames, "patrol_plan", key, ids)
        plan_rows = views.plan_rows(plan, msg)
        for row, entry in zip(
            plan_rows,
            plan.sort("plan_rank").iter_rows(named=True) if plan.height else [],
            strict=False,
        ):
            row["station"] = station_names.get(entry["station_id"], entry["station_id"])
        plan_date = as_of + timedelta(days=1)
        plan_csv = settings.plans_dir(plan_date) / f"{scope.station_ids[0]}.csv"
        context |= {
            "segment_rows": views.segment_rows(segments, rank, msg),
            "place_rows": views.place_rows(
                _station_scoped(frames, "places", scope)
                if single_station or len(scope.bureau_ids) == 1
                else pl.DataFrame(),
                msg,
            ),
            "period_rows": views.period_rows(
                _station_scoped(frames, "top_periods", scope)
                if single_station or len(scope.bureau_ids) == 1
                else pl.DataFrame(),
                msg,
            ),
            "alert_rows": views.alert_rows(alerts, community_names, msg),
            "alert_count": alerts.height,
            "alignment_items": views.alignment_items(_gather(frames, "alignment", key, ids), msg),
            "team_rows": views.team_rows(
                _gather(frames, "team_alignment", key, ids), station_names, msg
            ),
            "plan_rows": plan_rows,
            "plan_count": plan.height,
            "plan_station_column": not single_station,
            "plan_date": plan_date.isoformat(),
            "plan_csv": os.path.relpath(plan_csv, folder)
            if single_station and plan_csv.exists()
            else None,
            "forecast_rows": views.forecast_rows(
                _gather(frames, "forecast", "bureau_id", scope.bureau_ids), msg
            ),
        }
    context["figures"] = figs
    return context


def render_page(env: Environment, context: dict, shared: dict) -> str:
    """A briefing page as HTML text."""
    return env.get_template("briefing.html.j2").render(**shared, **context)


def render_quality_page(
    as_of: date, msg: Messages, quality: QualityView, briefing_href: str, generated_at: datetime
) -> str:
    """The project's own offline data-quality page for the day."""
    return (
        templates()
        .get_template("quality.html.j2")
        .render(
            **page_globals(msg, generated_at),
            as_of=as_of.isoformat(),
            quality=quality,
            briefing_href=briefing_href,
        )
    )


def publish_pages(settings: Settings, as_of: date) -> dict:
    """Write every briefing page of the day; return the paths written and timings."""
    started = time.perf_counter()
    msg = Messages(settings.language)
    folder = settings.briefing_dir(as_of)
    quality_page = quality_page_path(settings, as_of)
    generated_at = datetime.now().replace(microsecond=0)
    with warehouse.connect(settings) as con:
        frames = read_day(con, as_of)
        quality = read_quality(con, as_of, msg, settings.hotspot_window_days)
    read_s = time.perf_counter() - started
    scopes = scopes_of_day(frames)  # refuses unsafe ids before anything is written
    link_quality(quality, settings, as_of, quality_page.parent)
    atomic_write(
        quality_page,
        render_quality_page(
            as_of,
            msg,
            quality,
            briefing_href=os.path.relpath(folder / INDEX_PAGE, quality_page.parent),
            generated_at=generated_at,
        ),
    )
    link_quality(quality, settings, as_of, folder)
    ensure_plotly_js(folder)
    write_methods(folder, msg, generated_at)
    env = templates()
    shared = page_globals(msg, generated_at)
    written = []
    for scope in scopes:
        path = inside(folder, scope.page)
        context = build_page(frames, scope, msg, settings, quality, as_of, folder)
        atomic_write(path, render_page(env, context, shared))
        written.append(path)
    return {
        "pages": written,
        "read_s": read_s,
        "total_s": time.perf_counter() - started,
    }


def publish_briefing(settings: Settings, as_of: date) -> Path:
    """Write the day's briefing pages (index.html, a page per station, plotly.min.js and
    methods.html beside them), its data-quality page and the index site; return index.html."""
    result = publish_pages(settings, as_of)
    publish_site_index(settings)
    log.info("published %d pages for %s in %.1f s", len(result["pages"]), as_of, result["total_s"])
    return result["pages"][0]
