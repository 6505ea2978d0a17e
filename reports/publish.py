"""Publish the daily briefing: read the marts, build the figures, render, write atomically.

Output: HOME/briefings/<date>/index.html with one shared plotly.min.js beside it, so the page
opens from a file share or USB stick with no network.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from beatbrief.config import Settings
from reports import figures
from reports.messages import Messages
from reports.quality import QualityView, link_quality, quality_page_path, read_quality
from transforms import warehouse

TEMPLATES = Path(__file__).parent / "templates"
PLOTLY_JS = "plotly.min.js"


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that a reader sees either the old or the whole new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        os.chmod(temp, 0o644)  # pages are read from shares by other users
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def ensure_plotly_js(folder: Path) -> Path:
    """One copy of plotly.js per folder of pages, rewritten only when it differs."""
    from plotly.offline import get_plotlyjs

    script = get_plotlyjs().encode("utf-8")
    target = folder / PLOTLY_JS
    if (
        not target.exists()
        or hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(script).digest()
    ):
        atomic_write(target, script)
    return target


def figure_html(fig, div_id: str) -> Markup:
    """A figure as a div plus its script, without plotly.js, with a stable element id."""
    return Markup(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def templates() -> Environment:
    """The Jinja2 environment of the page templates; every value is HTML-escaped."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"])
    )


def read_briefing_data(con, as_of: date) -> dict[str, pl.DataFrame]:
    """The mart rows the bureau briefing shows."""
    return {
        "counts": con.sql(
            "select category, sum(day_count) as day_count, "
            "sum(previous_7d_daily_avg) as previous_7d_daily_avg "
            "from mart_daily_counts where as_of_date = ? and scope = 'bureau' group by category",
            params=[as_of],
        ).pl(),
        "cases": con.sql(
            "select * from mart_day_cases where as_of_date = ? order by case_id", params=[as_of]
        ).pl(),
        "profile": con.sql(
            "select weekday, hour, sum(weight) as weight from mart_time_profile "
            "where as_of_date = ? and scope = 'bureau' group by weekday, hour",
            params=[as_of],
        ).pl(),
        "communities": con.sql("select * from dim_communities order by community_id").pl(),
        "stations": con.sql("select * from dim_stations order by station_id").pl(),
    }


def render_briefing(
    data: dict[str, pl.DataFrame],
    as_of: date,
    msg: Messages,
    quality: QualityView,
    generated_at: datetime,
) -> str:
    """The briefing page as HTML text."""
    counts = data["counts"]
    by_category = counts.filter(pl.col("category") != "all")
    total = counts.filter(pl.col("category") == "all")
    return templates().get_template("briefing.html.j2").render(
        language=msg.language,
        t=msg.page(),
        font_stack=Markup(figures.FONT_STACK),
        as_of=as_of.isoformat(),
        bureau_names="、".join(data["stations"]["bureau_name"].unique().sort().to_list()),
        total_today=int(total["day_count"].sum()) if total.height else 0,
        total_prev_avg=float(total["previous_7d_daily_avg"].sum()) if total.height else 0.0,
        cases_ok=quality.feed_ok("cases"),
        category_rows=[
            {**row, "label": msg.label("category", row["category"])}
            for row in by_category.sort(
                ["day_count", "category"], descending=[True, False]
            ).iter_rows(named=True)
        ],
        figures={
            "categories": figure_html(figures.category_bars(by_category, msg), "fig-categories"),
            "map": figure_html(
                figures.case_map(data["cases"], data["communities"], data["stations"], msg),
                "fig-map",
            ),
            "heatmap": figure_html(figures.time_heatmap(data["profile"], msg), "fig-heatmap"),
        },
        quality=quality,
        generated_at=generated_at.isoformat(timespec="seconds"),
    )


def render_quality_page(
    as_of: date, msg: Messages, quality: QualityView, briefing_href: str, generated_at: datetime
) -> str:
    """The project's own offline data-quality page for the day."""
    return templates().get_template("quality.html.j2").render(
        language=msg.language,
        t=msg.page(),
        font_stack=Markup(figures.FONT_STACK),
        as_of=as_of.isoformat(),
        quality=quality,
        briefing_href=briefing_href,
        generated_at=generated_at.isoformat(timespec="seconds"),
    )


def publish_briefing(settings: Settings, as_of: date) -> Path:
    """Write the day's briefing (with plotly.min.js beside it) and its data-quality page;
    return the briefing's path."""
    msg = Messages(settings.language)
    folder = settings.briefing_dir(as_of)
    quality_page = quality_page_path(settings, as_of)
    generated_at = datetime.now().replace(microsecond=0)
    with warehouse.connect(settings) as con:
        data = read_briefing_data(con, as_of)
        quality = read_quality(con, as_of, msg, settings.hotspot_window_days)
    link_quality(quality, settings, as_of, quality_page.parent)
    atomic_write(
        quality_page,
        render_quality_page(
            as_of, msg, quality,
            briefing_href=os.path.relpath(folder / "index.html", quality_page.parent),
            generated_at=generated_at,
        ),
    )
    link_quality(quality, settings, as_of, folder)
    ensure_plotly_js(folder)
    target = folder / "index.html"
    atomic_write(target, render_briefing(data, as_of, msg, quality, generated_at))
    return target
