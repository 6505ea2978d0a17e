"""The province roll-up, HOME/briefings/<date>/index.html: every bureau's day at a glance.

Built after the bureaus (each publishes bureau-<bureau_id>.html and its stations' pages in the
same folder), from the province marts (transforms/rollup.py), never from the bureau pages. It
leads with a banner naming each bureau whose day is not complete (a failed feed, or no marts at
all), whose figures it marks incomplete; then the province's totals, the league of bureaus (each
linking down to its page), the league of every station, and the data quality of each bureau
and of routing. Then the index site, HOME/index.html.
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime
from pathlib import Path

from beatbrief.config import Settings
from reports.data import fetch_rows
from reports.figures import clean, figure_html, layout
from reports.messages import Messages
from reports.methods import page_globals, write_methods
from reports.paths import (
    INDEX_PAGE,
    bureau_page,
    inside,
    quality_page_path,
    station_page,
    trends_dir,
)
from reports.provenance import run_record_href, write_run_record
from reports.render import atomic_write, ensure_plotly_js, templates
from reports.site import publish_site_index
from transforms.rollup import build_province
from transforms.route import province_connect

log = logging.getLogger(__name__)
# the queries the province pages read (reports/queries/), from the province file
QUERIES = ("province_quality", "province_league", "province_months")


def read_province(settings: Settings, as_of: date) -> dict[str, list[dict]]:
    """The day's province rows: quality per bureau, and the league rows."""
    values = {"as_of_date": as_of}
    with province_connect(settings) as con:
        return {
            "quality": fetch_rows(con, "province_quality", values),
            "league": fetch_rows(con, "province_league", values),
        }


def _links(settings: Settings, as_of: date, folder: Path, rows: list[dict]) -> None:
    """Each row's page (only where it was written) and each bureau's quality page."""
    for row in rows:
        bureau = row.get("bureau_id")
        if row.get("scope") == "station":
            page = station_page(row["scope_id"])
        elif bureau and bureau not in ("all", "province"):
            page = bureau_page(bureau)
        else:
            page = None
        row["href"] = page if page and (folder / page).is_file() else None
        if bureau and bureau not in ("all", "province") and "scope" not in row:
            quality = quality_page_path(settings.for_bureau(bureau), as_of)
            row["quality_href"] = os.path.relpath(quality, folder) if quality.is_file() else None


def bureau_bars(league: list[dict], msg: Messages) -> dict:
    """Bars: each bureau's criminal cases in the window, incomplete bureaus greyed."""
    bureaus = [r for r in league if r["scope"] == "bureau"]
    colours = ["#1f5fa8" if r["run_status"] == "complete" else "#b0b7c0" for r in bureaus]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": [r["scope_name"] or r["scope_id"] for r in bureaus],
            "x": clean([r["kpi_few_cases"] for r in bureaus]),
            "marker": {"color": colours},
            "hovertemplate": "%{y}: %{x:,d}<extra></extra>",
        }
    ]
    height = 120 + 22 * len(bureaus)
    return {
        "data": data,
        "layout": layout(
            height,
            xaxis={"title": {"text": msg.t("kpi", "kpi_few_cases")}, "tickformat": ",d"},
            yaxis={"automargin": True, "autorange": "reversed"},
        ),
    }


def month_heatmap(months: list[dict], names: dict[str, str], msg: Messages) -> dict:
    """Bureaus x months: each cell the bureau's cases that month, the change on the same days
    of the month a year before in the hover."""
    bureaus = sorted({r["bureau_id"] for r in months} - {"all"})
    labels = sorted({r["month"] for r in months})
    cell = {(r["bureau_id"], r["month"]): r for r in months}
    z = [[(cell.get((b, m)) or {}).get("cases") for m in labels] for b in bureaus]
    text = [[_change_text(cell.get((b, m))) for m in labels] for b in bureaus]
    data = [
        {
            "type": "heatmap",
            "x": [m.strftime("%Y-%m") for m in labels],
            "y": [names.get(b, b) for b in bureaus],
            "z": z,
            "text": text,
            "colorscale": "Blues",
            "hovertemplate": "%{y} %{x}: %{z:,d} (%{text})<extra></extra>",
            "colorbar": {"title": {"text": msg.t("page", "count")}, "tickformat": ",d"},
        }
    ]
    return {
        "data": data,
        "layout": layout(
            140 + 24 * len(bureaus),
            xaxis={"type": "category", "automargin": True},
            yaxis={"automargin": True, "autorange": "reversed"},
        ),
    }


def _change_text(row: dict | None) -> str:
    """A month's change on last year as hover text."""
    if not row or row["change_pct"] is None:
        return "—"
    return f"{row['change_pct']:+.1f}%"


def publish_province(settings: Settings, as_of: date) -> Path:
    """Build the province marts for the day and write the province roll-up and the index
    site; return the roll-up's path."""
    build_province(settings, as_of)
    msg = Messages(settings.language)
    folder = settings.briefing_dir(as_of)
    generated_at = datetime.now().replace(microsecond=0)
    rows = read_province(settings, as_of)
    _links(settings, as_of, folder, rows["quality"])
    _links(settings, as_of, folder, rows["league"])
    by_scope = {
        scope: [r for r in rows["league"] if r["scope"] == scope]
        for scope in ("province", "bureau", "station")
    }
    not_complete = [
        r for r in rows["quality"] if r["run_status"] != "complete" and r["bureau_id"] != "province"
    ]
    ensure_plotly_js(folder)
    write_methods(folder, msg, generated_at)
    html = (
        templates()
        .get_template("province.html.j2")
        .render(
            **page_globals(msg, generated_at),
            run_record_href=run_record_href(settings, as_of, folder),
            as_of=as_of.isoformat(),
            p=msg.groups()["province"],
            totals=(by_scope["province"] or [None])[0],
            bureaus=by_scope["bureau"],
            stations=by_scope["station"],
            quality=rows["quality"],
            not_complete=not_complete,
            chart=figure_html(bureau_bars(rows["league"], msg), "province-bureaus")
            if rows["league"]
            else None,
        )
    )
    target = inside(folder, INDEX_PAGE)
    atomic_write(target, html)
    write_run_record(settings, as_of)  # last: it holds every page's hash
    publish_site_index(settings)
    log.info("published the province roll-up of %d bureaus for %s", len(by_scope["bureau"]), as_of)
    return target


def publish_province_trends(settings: Settings, as_of: date) -> Path:
    """The province commander view, HOME/trends/<date>/index.html: each bureau's cases over the
    last 13 months, its last month against the same days a year before, the bureaus' league,
    and links down to each bureau's commander view and briefing."""
    msg = Messages(settings.language)
    folder = trends_dir(settings, as_of)
    briefing = settings.briefing_dir(as_of)
    generated_at = datetime.now().replace(microsecond=0)
    values = {"as_of_date": as_of}
    with province_connect(settings) as con:
        months = fetch_rows(con, "province_months", values)
        league = fetch_rows(con, "province_league", values)
    bureaus = [r for r in league if r["scope"] == "bureau"]
    names = {r["scope_id"]: r["scope_name"] or r["scope_id"] for r in bureaus}
    latest = max((r["month"] for r in months), default=None)
    last_month = {r["bureau_id"]: r for r in months if r["month"] == latest}
    for row in bureaus:
        bureau = row["scope_id"]
        row["month"] = last_month.get(bureau)
        row["trends_href"] = (
            bureau_page(bureau) if (folder / bureau_page(bureau)).is_file() else None
        )
        page = briefing / bureau_page(bureau)
        row["href"] = os.path.relpath(page, folder) if page.is_file() else None
    ensure_plotly_js(folder)
    write_methods(folder, msg, generated_at)
    html = (
        templates()
        .get_template("province_trends.html.j2")
        .render(
            **page_globals(msg, generated_at),
            as_of=as_of.isoformat(),
            p=msg.groups()["province"],
            bureaus=bureaus,
            province_month=last_month.get("all"),
            latest=latest.strftime("%Y-%m") if latest else None,
            briefing_href=os.path.relpath(briefing / INDEX_PAGE, folder)
            if (briefing / INDEX_PAGE).is_file()
            else None,
            chart=figure_html(month_heatmap(months, names, msg), "province-months")
            if months
            else None,
        )
    )
    target = inside(folder, INDEX_PAGE)
    atomic_write(target, html)
    publish_site_index(settings)
    return target
