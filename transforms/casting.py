"""Typing raw text into the feed contract's types, with Polars.

Each typed column is parsed leniently (full-width digits, several timestamp layouts, zones,
epochs); a value that is present but cannot be parsed becomes null and its column is named in
`_parse_errors`, so the feed's GX suite quarantines the row with that reason. A float that
parses but is not finite (NaN, inf) is named in `_non_finite`, which the suite also rejects.
Timestamps end up as naive Beijing wall time (Asia/Shanghai), the zone every feed is read in.
"""

from __future__ import annotations

import polars as pl

from beatbrief.config import TIMEZONE
from beatbrief.feeds import FeedSchema

NAIVE_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
)
ZONED_TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否")


def _normalized(name: str) -> pl.Expr:
    """Text with full-width characters folded (NFKC), so '１２５．３' reads as '125.3'."""
    return pl.col(name).str.normalize("NFKC").str.strip_chars()


def parse_integer(name: str) -> pl.Expr:
    """Integer text (optionally with thousands separators) to Int64."""
    text = _normalized(name).str.replace_all(",", "")
    return text.cast(pl.Int64, strict=False)


def parse_float(name: str) -> pl.Expr:
    """Decimal text to Float64."""
    return _normalized(name).cast(pl.Float64, strict=False)


def parse_boolean(name: str) -> pl.Expr:
    """Boolean words (true/false, 1/0, yes/no, 是/否) to Boolean."""
    text = _normalized(name).str.to_lowercase()
    return (
        pl.when(text.is_in(TRUE_WORDS))
        .then(True)
        .when(text.is_in(FALSE_WORDS))
        .then(False)
        .otherwise(None)
        .cast(pl.Boolean)
    )


def parse_date(name: str) -> pl.Expr:
    """Date text in one of DATE_FORMATS to Date."""
    text = _normalized(name)
    return pl.coalesce([text.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS])


def parse_timestamp(name: str) -> pl.Expr:
    """Timestamp text (naive Beijing time, zoned, or epoch s/ms) to naive Beijing wall time."""
    text = _normalized(name)
    naive = [
        text.str.to_datetime(fmt, time_unit="us", strict=False) for fmt in NAIVE_TIMESTAMP_FORMATS
    ]
    zoned = [
        text.str.replace(r"Z$", "+00:00")
        .str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)
        .dt.convert_time_zone(TIMEZONE)
        .dt.replace_time_zone(None)
        for fmt in ZONED_TIMESTAMP_FORMATS
    ]
    digits = text.str.contains(r"^\d{10}$|^\d{13}$")
    epoch_ms = pl.when(digits).then(
        pl.when(text.str.len_chars() == 13)
        .then(text.cast(pl.Int64, strict=False))
        .otherwise(text.cast(pl.Int64, strict=False) * 1000)
    )
    epoch = (
        pl.from_epoch(epoch_ms, time_unit="ms")
        .dt.cast_time_unit("us")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(TIMEZONE)
        .dt.replace_time_zone(None)
    )
    return pl.coalesce([*naive, *zoned, epoch])


PARSERS = {
    "integer": parse_integer,
    "float": parse_float,
    "boolean": parse_boolean,
    "date": parse_date,
    "timestamp": parse_timestamp,
}
# The layout nearly every value arrives in, tried first: the lenient parsers above are several
# times slower, so they only see the values the fast path could not read.
FAST_PARSERS = {
    "integer": lambda name: pl.col(name).cast(pl.Int64, strict=False),
    "float": lambda name: pl.col(name).cast(pl.Float64, strict=False),
    "date": lambda name: pl.col(name).str.to_date("%Y-%m-%d", strict=False),
    "timestamp": lambda name: pl.col(name).str.to_datetime(
        "%Y-%m-%d %H:%M:%S", time_unit="us", strict=False
    ),
}


def parse_column(raw: pl.Series, kind: str) -> pl.Series:
    """Parse one text column to its contract type: the fast layout first, then leniently."""
    frame = raw.to_frame("value")
    fast = FAST_PARSERS.get(kind, PARSERS[kind])
    parsed = frame.select(fast("value")).to_series()
    retry = parsed.is_null() & raw.is_not_null()
    if kind in FAST_PARSERS and retry.any():
        lenient = frame.filter(retry).select(PARSERS[kind]("value")).to_series()
        parsed = parsed.scatter(retry.arg_true(), lenient)
    return parsed.alias(raw.name)


def cast_to_contract(raw: pl.DataFrame, schema: FeedSchema) -> pl.DataFrame:
    """Type every schema column. Present values that failed to parse are named in
    `_parse_errors`, non-finite floats in `_non_finite`, and both with their text (personal
    columns masked) in `_bad_values`, for the quarantine's `detail`."""
    raw = raw.with_columns(pl.col(schema.names).cast(pl.String))
    typed, unparsed, shown = [], [], []
    for column in schema.columns:
        if column.type not in PARSERS:
            continue
        parsed = parse_column(raw[column.name], column.type)
        typed.append(parsed)
        failed = raw[column.name].is_not_null() & parsed.is_null()
        unparsed.append(pl.when(failed).then(pl.lit(column.name)))
        if column.type == "float":
            failed = failed | parsed.is_nan() | parsed.is_infinite()
        text = pl.lit("<personal data>") if column.pii else _quoted(raw[column.name])
        shown.append(pl.when(failed).then(pl.concat_str(pl.lit(f"{column.name}="), text)))
    floats = [s for s in typed if s.dtype == pl.Float64]
    return raw.with_columns(
        *typed,
        joined_names(unparsed).alias("_parse_errors"),
        _non_finite(floats),
        joined_names(shown, "; ").alias("_bad_values"),
    )


def _quoted(raw: pl.Series, limit: int = 40) -> pl.Expr:
    """A raw value in quotes, cut to `limit` characters, for the quarantine's `detail`."""
    text = pl.lit(raw).str.slice(0, limit)
    cut = pl.when(pl.lit(raw).str.len_chars() > limit).then(pl.lit("…")).otherwise(pl.lit(""))
    return pl.concat_str(pl.lit("'"), text, cut, pl.lit("'"))


def joined_names(flags: list[pl.Expr], separator: str = ",") -> pl.Expr:
    """Joined texts of per-column `text or null` flags; null when none."""
    if not flags:
        return pl.lit(None, dtype=pl.String)
    joined = pl.concat_str(flags, separator=separator, ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def _non_finite(floats: list[pl.Series]) -> pl.Expr:
    """`_non_finite`: the float columns whose value is NaN or infinite (null when none).
    Polars reads 'NaN' and 'inf' as floats, and no model can place or sum them."""
    flags = [pl.when(s.is_nan() | s.is_infinite()).then(pl.lit(s.name)) for s in floats]
    return joined_names(flags).alias("_non_finite")
