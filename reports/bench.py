"""Benchmarks of the published pages, for `make bench` and for checking the page budgets:
a station briefing under 2 MB (plotly.js not counted) that renders in under 2 s in headless
chromium, and all station pages of a province (~700) published in under 2 minutes.

    python -m reports.bench --home HOME --date 2026-11-27 [--province 59] [--plotly]

- `measure_pages(settings, as_of)`: what `make bench` (beatbrief/bench.py) calls after building
  a scale's marts: publishes the day's pages and the commander view and returns stage rows
  (publish seconds, page bytes, chromium render seconds); `page_summary` has the same numbers
  as one dict.
- `province_warehouse(...)` + `time_publish(...)`: the county's marts copied N times under new
  ids (59 copies of the 12-station demo county = 708 stations, the simulated province's count)
  and the whole day published from them; only the publish step is timed.
- `measure_plotly_loading(...)`: one page loaded with plotly.js inlined and with the shared
  plotly.min.js beside it, each in a fresh browser context, to settle which loads faster.

Browser timings use Debian's chromium through playwright (never a downloaded browser).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from beatbrief.config import Settings
from reports.paths import BUREAU_PREFIX, PLOTLY_JS, RESERVED_NAMES
from transforms import warehouse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# a page is rendered when every chart container holds a drawn plot
RENDERED = (
    "() => { const d = document.querySelectorAll('div.plot'); return d.length === 0 || "
    "[...d].every(e => e.querySelector('.main-svg')); }"
)


def station_pages(folder: Path) -> list[Path]:
    """The station briefings of a day's folder."""
    return sorted(
        p
        for p in folder.glob("*.html")
        if p.name not in RESERVED_NAMES and not p.name.startswith(BUREAU_PREFIX)
    )


def render_times(pages: list[Path], repeat: int = 1) -> dict[str, float]:
    """Seconds from navigation to every chart drawn, per page (best of `repeat`), each load
    in a fresh context so nothing is cached between pages."""
    from playwright.sync_api import sync_playwright

    times: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for page_path in pages:
                best = float("inf")
                for _ in range(repeat):
                    context = browser.new_context(offline=True)
                    page = context.new_page()
                    start = time.perf_counter()
                    page.goto(page_path.as_uri(), wait_until="load")
                    page.wait_for_function(RENDERED, timeout=30_000)
                    best = min(best, time.perf_counter() - start)
                    context.close()
                times[page_path.name] = round(best, 3)
        finally:
            browser.close()
    return times


def page_summary(settings: Settings, as_of: date, sample: int = 5, repeat: int = 3) -> dict:
    """Sizes of every page of a published day and chromium render times of the index and a
    sample of station pages (the largest first: they are the slowest)."""
    folder = settings.briefing_dir(as_of)
    stations = station_pages(folder)
    sizes = {p.name: p.stat().st_size for p in stations}
    by_size = sorted(stations, key=lambda p: (-sizes[p.name], p.name))
    summary = {
        "station_pages": len(stations),
        "station_page_bytes_max": max(sizes.values(), default=0),
        "station_page_bytes_median": int(statistics.median(sizes.values())) if sizes else 0,
        "index_bytes": (folder / "index.html").stat().st_size,
        "plotly_js_bytes": (folder / PLOTLY_JS).stat().st_size,
    }
    if not Path(CHROMIUM).exists():  # `make browser` installs it; sizes are still worth having
        return summary
    chosen = [folder / "index.html", *by_size[:sample]]
    times = render_times(chosen, repeat=repeat)
    station_times = [times[p.name] for p in by_size[:sample]]
    return summary | {
        "render_s_index": times["index.html"],
        "render_s_station_max": max(station_times, default=0.0),
        "render_s_station_median": statistics.median(station_times) if station_times else 0.0,
        "render_sample": len(station_times),
    }


def _stage(name: str, kind: str, rows: int, seconds: float, **extra) -> dict:
    """A row of `make bench`'s stage table (beatbrief/bench.py prints these)."""
    return {
        "stage": name,
        "input": kind,
        "rows": rows,
        "seconds": round(seconds, 4),
        "rows_per_s": round(rows / seconds) if seconds > 0 else None,
        "floor_s": None,
        "ratio": None,
        **extra,
    }


def measure_pages(settings: Settings, as_of: date) -> list[dict]:
    """For `make bench`: publish the day's briefing pages and its commander view, then measure
    page sizes and render times; one stage row each (budgets: a station page under 2 MB and
    2 s, a province's pages published in under 120 s)."""
    from reports.trends import publish_trends

    published = time_publish(settings, as_of)
    started = time.perf_counter()
    publish_trends(settings, as_of)
    trends_s = time.perf_counter() - started
    summary = page_summary(settings, as_of)
    stages = [
        _stage(
            "pages: publish the day's briefings",
            "pages",
            published["pages"],
            published["publish_s"],
            goal_s=120.0,
        ),
        _stage("pages: publish the commander view", "pages", 1, trends_s),
    ]
    if "render_s_index" in summary:
        stages += [
            _stage(
                "pages: render the bureau roll-up",
                "bytes",
                summary["index_bytes"],
                summary["render_s_index"],
            ),
            _stage(
                f"pages: render slowest of {summary['render_sample']} station pages",
                "bytes",
                summary["station_page_bytes_max"],
                summary["render_s_station_max"],
                goal_s=2.0,
                goal_bytes=2_000_000,
            ),
            _stage(
                "pages: render station page (median)",
                "bytes",
                summary["station_page_bytes_median"],
                summary["render_s_station_median"],
            ),
        ]
    for stage in stages:
        stage["summary"] = summary
    return stages


def measure_plotly_loading(settings: Settings, as_of: date, repeat: int = 5) -> dict:
    """Load one station page with plotly.js inlined and with plotly.min.js beside it (fresh
    context each time, so neither is cached) and report the median seconds to rendered."""
    folder = settings.briefing_dir(as_of)
    page = max(station_pages(folder), key=lambda p: p.stat().st_size)
    script = (folder / PLOTLY_JS).read_text(encoding="utf-8")
    tag = f'<script src="{PLOTLY_JS}"></script>'
    with tempfile.TemporaryDirectory() as temp:
        shared = Path(temp) / "shared"
        inline = Path(temp) / "inline"
        shared.mkdir()
        inline.mkdir()
        shutil.copy(page, shared / page.name)
        shutil.copy(folder / PLOTLY_JS, shared / PLOTLY_JS)
        html = page.read_text(encoding="utf-8")
        assert tag in html, "the page should load plotly.min.js from its folder"
        inlined = html.replace(tag, f"<script>{script}</script>")
        (inline / page.name).write_text(inlined, encoding="utf-8")
        runs = {"shared": [], "inline": []}
        for _ in range(repeat):  # interleaved, so drift in machine load hits both alike
            for kind, target in (("shared", shared), ("inline", inline)):
                runs[kind].append(render_times([target / page.name])[page.name])
        return {
            "page": page.name,
            "shared_median_s": statistics.median(runs["shared"]),
            "inline_median_s": statistics.median(runs["inline"]),
            "shared_bytes": page.stat().st_size,
            "inline_bytes": (inline / page.name).stat().st_size,
        }


def province_warehouse(source: Settings, target: Settings, as_of: date, copies: int) -> int:
    """A warehouse holding `copies` copies of the source's marts and dims of `as_of` (and its
    data-quality tables), every id prefixed `P<k>-` so each copy is its own set of bureaus and
    stations; returns the number of stations. It has the layout of a province, not its figures:
    the marts' region rows (scope 'region', 'all') are copy 0's, not recomputed over the copies
    (that takes the models, which read the staging data this copy leaves out)."""
    with warehouse.connect(source) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where regexp_matches(table_name, '^(mart|dim)_') order by 1"
            ).fetchall()
        ]
    target.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with warehouse.connect(target) as con:
        con.execute("attach ? as src (read_only)", [str(source.warehouse_path)])
        for system in ("feed_status", "load_manifest", "quarantine", "validation_results"):
            con.execute(f"delete from {system}")
            con.execute(f"insert into {system} select * from src.{system}")
        for table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = 'src' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            has_date = any(c == "as_of_date" for c, _ in columns)
            scoped = any(c == "scope" for c, _ in columns)
            parts = []
            for k in range(copies):
                select = []
                for column, kind in columns:
                    renamed = column.endswith("_id") or column in ("selected_cell_ids",)
                    if renamed and kind == "VARCHAR" and scoped and column == "scope_id":
                        # the region ('all') is one row set: copy 0's (see the docstring)
                        select.append(
                            f"case when scope = 'region' then {column} "
                            f"else 'P{k}-' || {column} end as {column}"
                        )
                    elif renamed and kind == "VARCHAR":
                        select.append(f"'P{k}-' || {column} as {column}")
                    elif column in ("station_name", "bureau_name", "community_name"):
                        select.append(f"{column} || ' {k}' as {column}")
                    else:
                        select.append(column)
                conditions = [f"as_of_date = DATE '{as_of.isoformat()}'"] if has_date else []
                if scoped and k > 0:
                    conditions.append("scope <> 'region'")
                where = f" where {' and '.join(conditions)}" if conditions else ""
                parts.append(f"select {', '.join(select)} from src.{table}{where}")
            con.execute(f"create or replace table {table} as {' union all '.join(parts)}")
        stations = con.execute("select count(*) from dim_stations").fetchall()[0][0]
        con.execute("detach src")
    return stations


def time_publish(settings: Settings, as_of: date) -> dict:
    """Publish the day and report how long it took and how many pages it wrote."""
    from reports.publish import publish_pages

    started = time.perf_counter()
    result = publish_pages(settings, as_of)
    return {
        "pages": len(result["pages"]),
        "read_s": round(result["read_s"], 2),
        "publish_s": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--date", required=True, type=date.fromisoformat)
    parser.add_argument("--province", type=int, default=0, help="copies of the county")
    parser.add_argument("--plotly", action="store_true", help="inline vs shared plotly.js")
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.home)
    report: dict = {"county_publish": time_publish(settings, args.date)}
    report["county_pages"] = page_summary(settings, args.date)
    if args.plotly:
        report["plotly_loading"] = measure_plotly_loading(settings, args.date)
    if args.province:
        with tempfile.TemporaryDirectory() as temp:
            province = Settings.from_env(Path(temp))
            stations = province_warehouse(settings, province, args.date, args.province)
            report["province_stations"] = stations
            report["province_publish"] = time_publish(province, args.date)
            report["province_pages"] = page_summary(province, args.date, sample=3, repeat=1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
