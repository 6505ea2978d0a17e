"""Segments and places: the top road segments (cases, per km, expected from the baseline, Poisson
z and flag) and the top place types (部位: cases, share, expected, z and flag) of the page.

Two lists of two grains from two marts, so two queries: queries/segments_places.sql
(mart_hot_road_segments, ranked per bureau and per station) and
queries/segments_places__places.sql (mart_hot_places, per scope). Partial
templates/sections/segments_places.html.j2.
"""

from __future__ import annotations

import polars as pl

from reports.data import TOP_N, Frames
from reports.messages import Messages
from reports.scope import Page, gather, members, scoped_rows
from reports.views import DASH, count_flag, fmt_int, fmt_num, fmt_pct, fmt_z

QUERIES = ("segments_places", "segments_places__places")


def segment_rows(segments: pl.DataFrame, rank_column: str, msg: Messages) -> list[dict]:
    """Top road segments: cases, per km, expected from the baseline, Poisson z and its flag."""
    if segments.height == 0:
        return []
    rows = segments.filter(pl.col(rank_column) <= TOP_N).sort([rank_column, "road_segment_id"])
    return [
        {
            "rank": r[rank_column],
            "road": r["road_name"] or DASH,
            "segment": r["segment_name"] or DASH,
            "cases": fmt_int(r["cases"]),
            "per_km": fmt_num(r["cases_per_km"]),
            "expected": fmt_num(r["expected_cases"]),
            "z": fmt_z(r["poisson_z"]),
            "flag": count_flag(r["baseline_flag"], msg),
        }
        for r in rows.iter_rows(named=True)
    ]


def place_rows(places: pl.DataFrame, msg: Messages) -> list[dict]:
    """Top place types (部位): cases, share, expected, z and flag."""
    if places.height == 0:
        return []
    return [
        {
            "rank": r["rank_by_count"],
            "place": msg.label("place_type", r["place_type"]),
            "cases": fmt_int(r["cases"]),
            "share": fmt_pct(r["share"]),
            "expected": fmt_num(r["expected_cases"]),
            "z": fmt_z(r["poisson_z"]),
            "flag": count_flag(r["baseline_flag"], msg),
        }
        for r in places.sort(["rank_by_count", "place_type"]).iter_rows(named=True)
    ]


def context(frames: Frames, page: Page) -> dict:
    """The page's top segments (ranked within the station on a station page) and places."""
    scope, msg = page.scope, page.msg
    key, ids = members(scope)
    rank = "station_rank_by_count" if scope.kind == "station" else "rank_by_count"
    one_scope = scope.kind == "station" or len(scope.bureau_ids) == 1
    places = scoped_rows(frames, "segments_places__places", scope) if one_scope else pl.DataFrame()
    return {
        "segment_rows": segment_rows(gather(frames, "segments_places", key, ids), rank, msg),
        "place_rows": place_rows(places, msg),
    }
