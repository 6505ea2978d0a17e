"""Hotspot map: the Gi* classes of the grid cells on each bureau's lattice, with the near-repeat
alert zones still valid, the day's cases, the communities and the stations.

The map honestly needs several result sets, so it reads: its own queries/hotspot_map.sql (the
cells of mart_hotspot_cells, each with its bureau's lon/lat lattice) and
queries/hotspot_map__cases.sql (the day's cases of mart_day_cases, as points); the alerts
section's queries/alerts.sql (the zones it lists are the zones drawn); and the shared reference
frames queries/stations.sql and queries/communities.sql. Partial
templates/sections/hotspot_map.html.j2.
"""

from __future__ import annotations

from reports import figures
from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, Scope, gather, members

QUERIES = ("hotspot_map", "hotspot_map__cases", "alerts", "communities", "stations")


def hot_traces(frames: Frames, scope: Scope, msg: Messages) -> list[dict]:
    """One Gi* heatmap trace per bureau on the page (a station: its own cells only)."""
    traces = []
    for bureau_id in scope.bureau_ids:
        cells = frames.part("hotspot_map", "bureau_id", bureau_id)
        lattice = cells.row(0, named=True) if cells.height else None
        if scope.kind == "station" and cells.height:
            cells = frames.part("hotspot_map", "station_id", scope.station_ids[0])
        trace = figures.hot_class_trace(cells, lattice, msg)
        if trace is not None:
            traces.append(trace)
    return traces


def context(frames: Frames, page: Page) -> dict:
    """The page's map: its bureaus' (or its station's) cells, zones, cases and places."""
    scope, msg = page.scope, page.msg
    key, ids = members(scope)
    spec = figures.hotspot_map(
        hot_traces(frames, scope, msg),
        gather(frames, "communities", key, ids),
        gather(frames, "stations", key, ids),
        gather(frames, "hotspot_map__cases", "station_id", scope.station_ids),
        gather(frames, "alerts", key, ids),
        msg,
    )
    return {"figure": figures.figure_html(spec, "fig-map")}
