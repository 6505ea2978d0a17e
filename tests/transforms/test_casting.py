"""Typing raw text to the contract: lenient parsing, and every failure named."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from beatbrief.feeds import load_schema
from transforms.casting import cast_to_contract

SHIFTS = load_schema("patrol_shifts")


def cast_one(column: str, values: list[str | None]) -> pl.DataFrame:
    raw = pl.DataFrame(
        {c: [None] * len(values) for c in SHIFTS.names},
        schema=dict.fromkeys(SHIFTS.names, pl.String),
    ).with_columns(pl.Series(column, values, dtype=pl.String))
    return cast_to_contract(raw, SHIFTS)


def test_timestamps_in_every_layout_become_beijing_wall_time():
    values = [
        "2026-11-27 08:00:00",
        "2026/11/27 08:00",
        "2026-11-27T08:00:00+08:00",
        "2026-11-27T00:00:00Z",
        "1795737600",
        "1795737600000",
        "２０２６-１１-２７ ０８:００:００",
    ]
    typed = cast_one("started_at", values)
    assert typed["started_at"].to_list() == [datetime(2026, 11, 27, 8)] * len(values)
    assert typed["_parse_errors"].to_list() == [None] * len(values)


def test_full_width_digits_and_separators_in_numbers():
    typed = cast_one("officer_count", ["１２", "1,200", " 7 ", "七"])
    assert typed["officer_count"].to_list() == [12, 1200, 7, None]
    assert typed["_parse_errors"].to_list() == [None, None, None, "officer_count"]


def test_empty_is_null_not_an_error():
    typed = cast_one("officer_count", [None])
    assert typed["_parse_errors"].to_list() == [None]


def test_dates_and_booleans():
    communities = load_schema("communities")
    raw = pl.DataFrame({c: ["x"] * 4 for c in communities.names}).with_columns(
        pl.Series("has_police_office", ["true", "是", "0", "maybe"])
    )
    typed = cast_to_contract(raw, communities)
    assert typed["has_police_office"].to_list() == [True, True, False, None]
    population = load_schema("population")
    raw = pl.DataFrame({c: ["1"] * 3 for c in population.names}).with_columns(
        pl.Series("as_of_date", ["2026-11-01", "2026/11/01", "20261101"])
    )
    assert cast_to_contract(raw, population)["as_of_date"].to_list() == [date(2026, 11, 1)] * 3
