"""What a briefing page covers (its stations and bureaus) and the page a section is built for,
plus the few ways a section picks its page's rows out of the day's frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from reports.data import Frames
from reports.messages import Messages
from reports.paths import INDEX_PAGE, bureau_page, check_id, check_unique, station_page
from reports.quality import QualityView


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


@dataclass(frozen=True)
class Page:
    """The page a section is built for: what it covers and what it is written with."""

    scope: Scope
    as_of: date
    msg: Messages
    settings: Settings
    quality: QualityView  # the day's data-quality view, read once for every page
    folder: Path  # where the page is written (links are relative to it)


def names(frame: pl.DataFrame, key: str, name: str) -> dict[str, str]:
    """An id -> name lookup of a reference frame (empty when the frame is)."""
    if frame.height == 0:
        return {}
    return dict(frame.select(key, name).iter_rows())


def scopes_of_day(frames: Frames, bureau: str = "") -> list[Scope]:
    """The pages of a day: index.html, a page per bureau when there are several, a page per
    station; or, for one bureau of a province (`bureau`), its bureau-<id>.html (below the
    province's index.html) and its stations'. Every id is checked before anything is
    written."""
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
        station_names, bureau_names = {}, {}
    else:
        station_ids = sorted(stations["station_id"].to_list())
        bureau_of = dict(stations.select("station_id", "bureau_id").iter_rows())
        station_names = names(stations, "station_id", "station_name")
        bureau_names = names(stations, "bureau_id", "bureau_name")
    bureau_ids = sorted(set(bureau_of.values()))
    several = len(bureau_ids) > 1 or bool(bureau)
    region_name = "、".join(bureau_names.get(b, b) for b in bureau_ids)
    scopes = [Scope("region", INDEX_PAGE, region_name, station_ids, bureau_ids, detail=not several)]
    if bureau:  # the province writes index.html
        check_id(bureau, "bureau id")
        scopes, bureau_ids = [], [bureau]
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
                station_names.get(station_id, station_id),
                [station_id],
                [bureau_id],
                detail=True,
                up=up,
                up_label=bureau_names.get(bureau_id, bureau_id),
            )
        )
    check_unique([s.page for s in scopes if s.page != INDEX_PAGE])
    return scopes


def mart_scope(scope: Scope) -> tuple[str, str]:
    """The marts' (scope, scope_id) of a page: its station, its bureau, or the region."""
    if scope.kind == "station":
        return "station", scope.station_ids[0]
    if scope.kind == "bureau":
        return "bureau", scope.bureau_ids[0]
    return "region", "all"


def members(scope: Scope) -> tuple[str, list[str]]:
    """The key column and ids that pick a page's rows from a per-station frame: its station's,
    or every station's of its bureaus."""
    if scope.kind == "station":
        return "station_id", scope.station_ids
    return "bureau_id", scope.bureau_ids


def concat(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Frames stacked (empty ones skipped); an empty frame when there are none."""
    parts = [p for p in parts if p.width]
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()


def gather(frames: Frames, name: str, key: str, ids: list[str]) -> pl.DataFrame:
    """The rows of a frame for several ids of one key (stations of a bureau, ...)."""
    return concat([frames.part(name, key, i) for i in ids])


def scoped_rows(frames: Frames, name: str, scope: Scope) -> pl.DataFrame:
    """A scope/scope_id frame's rows for the page: the station's, or each of its bureaus'
    (stacked; the section says how it shows several)."""
    if scope.kind == "station":
        return frames.scoped(name, "station", scope.station_ids[0])
    return concat([frames.scoped(name, "bureau", b) for b in scope.bureau_ids])
