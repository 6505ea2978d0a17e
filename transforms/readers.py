"""Readers for landed files: CSV (UTF-8 with or without BOM, GBK/GB18030), JSON lines, Parquet.

Every reader returns one row per record it found, all values as text exactly as written (only
trimmed), plus bookkeeping columns. Readers never judge a record: they note what they saw
(`_malformed`, `_missing_required`, `_missing_optional`) and Great Expectations decides.
Nothing is dropped here, so the load manifest can account for every row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from beatbrief.feeds import FeedSchema

# bookkeeping columns every raw row carries
META_COLUMNS = {
    "_file_path": pl.String,
    "_line_number": pl.Int64,
    "_raw_record": pl.String,
    "_malformed": pl.String,
    "_missing_required": pl.String,
    "_missing_optional": pl.String,
    "_extra_columns": pl.String,
}
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
# The longest CSV field read (characters); Python's csv module stops at 131,072 by default.
MAX_FIELD_CHARS = 16 * 1024 * 1024
# Encodings tried in order after a BOM check; GB18030 is a superset of GBK and GB2312.
CSV_ENCODINGS = ("utf-8", "gb18030")


class FeedFileError(ValueError):
    """A landed file that cannot be read at all (names the file and the reason)."""


@dataclass(frozen=True)
class ReadResult:
    """Rows of one file, plus what the reader learnt about the file."""

    rows: pl.DataFrame
    file_format: str
    encoding: str | None


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """The file's format from its suffix; an unknown suffix is an error naming the file."""
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FeedFileError(
            f"{path}: unknown file type {path.suffix!r} (expected one of {sorted(SUFFIX_FORMATS)})"
        )
    return fmt


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode bytes to text, detecting the encoding; returns (text, encoding name)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    # Neither decodes cleanly (a damaged byte): let charset-normalizer pick, keep every row.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else "gb18030"
    return data.decode(encoding, errors="replace"), encoding


_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def split_lines(text: str) -> list[str]:
    """Physical lines with their ends, split only at CR, LF or CRLF, as the csv module does
    (str.splitlines would also split inside fields at \x1c-\x1e, \x85, \u2028 ...)."""
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def header_map(header: list[str], schema: FeedSchema) -> dict[str, int]:
    """Map schema column names to positions in a header given by name or by Chinese label."""
    aliases = {}
    for column in schema.columns:
        aliases[column.name.lower()] = column.name
        aliases[column.zh.lower()] = column.name
    positions: dict[str, int] = {}
    for index, label in enumerate(header):
        name = aliases.get(label.strip().lstrip("\ufeff").lower())
        if name is not None and name not in positions:
            positions[name] = index
    return positions


def _frame(records: list[dict], schema: FeedSchema) -> pl.DataFrame:
    """Build the raw frame with every schema column (text) and the bookkeeping columns."""
    columns = {name: pl.String for name in schema.names} | META_COLUMNS
    return pl.DataFrame(records, schema=columns)


def _clean(value) -> str | None:
    """Trim a text value; empty text becomes null."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class _Lines:
    """Physical lines fed to csv.reader one at a time, rewindable to resynchronise."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.position = 0  # lines handed out so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            raise StopIteration
        self.position += 1
        return self.lines[self.position - 1]


def read_csv(path: Path, schema: FeedSchema, vectorised: bool = True) -> ReadResult:
    """Read a CSV file of any supported encoding, keeping line numbers and raw records. A plain
    file (no quotes, every line as wide as the header) is split by Polars in one pass; any
    other goes through the row-wise reader (`vectorised=False` forces it), with the same result.

    A record that cannot be split into the header's fields and spans several lines (an
    unbalanced quote swallowing the lines after it) is quarantined as its first line alone,
    and reading resumes at the next line: one damaged record never hides the ones after it."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    text, encoding = decode_text(path.read_bytes(), path)
    fast = _plain_csv(text, path, schema) if vectorised else None
    if fast is not None:
        return ReadResult(fast, "csv", encoding)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        return ReadResult(_frame([], schema), "csv", encoding)
    source = _Lines(lines)
    reader = csv.reader(source)
    header = next(reader)
    positions = header_map(header, schema)
    known = set(positions.values())
    missing = _missing(schema, positions)
    records = []
    while True:
        start = source.position + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # e.g. a quote still open at the end of the file
            records.append(_damaged(schema, path, start, lines, f"csv: {error}", missing))
            source.position, reader = start, csv.reader(source)
            continue
        raw = "".join(lines[start - 1 : source.position]).rstrip("\r\n")
        if not raw.strip():
            continue  # a blank line is no record (a quoted empty field "" is one)
        malformed = None
        if len(fields) != len(header):
            malformed = f"expected {len(header)} fields, found {len(fields)}"
        spans = source.position > start
        if spans and _swallowed(lines[start : source.position], len(header)):
            # resynchronise at the line after the damaged one
            reason = (
                f"an unbalanced quote: the record from line {start} runs over whole records "
                f"up to line {source.position}"
            )
            records.append(_damaged(schema, path, start, lines, reason, missing))
            source.position, reader = start, csv.reader(source)
            continue
        row = {
            name: _clean(fields[i]) if i < len(fields) else None for name, i in positions.items()
        }
        extras = {
            header[i]: fields[i] for i in range(len(header)) if i not in known and i < len(fields)
        }
        records.append(_record(schema, row, path, start, raw, malformed, missing, extras))
    if not records:
        _check_header(path, missing)
    return ReadResult(_frame(records, schema), "csv", encoding)


# Text the vectorised path leaves to the row-wise reader: quotes, and the characters that
# str.splitlines, str.strip or the csv module treat differently (\x0b, \x0c, \x1c-\x1f, ...).
_NOT_PLAIN = re.compile(r"[\"\x00\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")


def _plain_csv(text: str, path: Path, schema: FeedSchema) -> pl.DataFrame | None:
    """The raw rows of a plain CSV (no quotes, every line as wide as the header, no column
    beyond the contract's), split by Polars in one vectorised pass; None for any other file,
    which the row-wise reader then reads exactly as before."""
    if _NOT_PLAIN.search(text):
        return None
    # without those characters, str.splitlines splits at CR, LF and CRLF only, as csv does
    lines = pl.Series("line", text.splitlines(), dtype=pl.String)
    if lines.is_empty() or not lines[0].strip():
        return None
    header = lines[0].split(",")
    positions = header_map(header, schema)
    if len(positions) != len(header):  # extra or repeated columns: the reader keeps them aside
        return None
    body = (
        pl.DataFrame({"_raw_record": lines})
        .with_row_index("_line_number", offset=1)
        .slice(1)
        .filter(pl.col("_raw_record").str.strip_chars() != "")
    )
    if not (body["_raw_record"].str.count_matches(",") == len(header) - 1).all():
        return None
    body = body.with_columns(
        pl.col("_raw_record").str.split_exact(",", len(header) - 1).alias("_fields")
    ).unnest("_fields")
    missing = _missing(schema, positions)
    columns = []
    for name in schema.names:
        if name in positions:
            value = pl.col(f"field_{positions[name]}").str.strip_chars()
            columns.append(pl.when(value == "").then(None).otherwise(value).alias(name))
        else:
            columns.append(pl.lit(None, dtype=pl.String).alias(name))
    return (
        body.select(
            *columns,
            pl.lit(str(path)).alias("_file_path"),
            pl.col("_line_number").cast(pl.Int64),
            "_raw_record",
            pl.lit(None, dtype=pl.String).alias("_malformed"),
            pl.lit(missing[0], dtype=pl.String).alias("_missing_required"),
            pl.lit(missing[1], dtype=pl.String).alias("_missing_optional"),
            pl.lit(None, dtype=pl.String).alias("_extra_columns"),
        )
        if body.height
        else _empty_plain(path, schema, missing)
    )


def _empty_plain(path: Path, schema: FeedSchema, missing) -> pl.DataFrame:
    """A header-only plain CSV: no rows, but its schema still counts."""
    _check_header(path, missing)
    return _frame([], schema)


def _swallowed(continuation: list[str], width: int) -> bool:
    """Whether a multi-line record swallowed whole records after an open quote: a line strictly
    inside it reads, alone, as a clean record of `width` fields (no quote left in any value, as
    a CSV writer would have written it). A line that goes on from a quoted field's own line
    break keeps that field's closing quote in its first value, so it never reads as clean.
    Limit (docs/data-quality.md): a quote closed on the very next line swallows that one line
    unnoticed when the field count still matches."""
    return any(_clean_width(line) == width for line in continuation[:-1])


def _clean_width(line: str) -> int:
    """Fields in one line read as a record on its own with no quote left in a value (0 if it
    is not such a record)."""
    try:
        fields = next(csv.reader([line]), [])
    except csv.Error:
        return 0
    return 0 if any('"' in field for field in fields) else len(fields)


def _damaged(schema, path, line: int, lines: list[str], reason: str, missing) -> dict:
    """A malformed row for the damaged record starting at `line` (1-based): its line alone."""
    raw = lines[line - 1].rstrip("\r\n")
    return _malformed_record(schema, path, line, raw, reason, missing)


def _check_header(path: Path, missing: tuple[str | None, str | None]) -> None:
    """A file with no rows still has a schema: one lacking a required column is rejected."""
    if missing[0]:
        raise FeedFileError(
            f"{path}: header lacks required column(s) {missing[0]} (schema fault, no rows)"
        )


def read_jsonl(path: Path, schema: FeedSchema) -> ReadResult:
    """Read JSON lines (UTF-8 or GB18030); a line that is not a JSON object is kept as malformed."""
    text, encoding = decode_text(path.read_bytes(), path)
    records = []
    for number, line in enumerate(split_lines(text), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            records.append(
                _malformed_record(schema, path, number, line, f"json: {error}", (None, None))
            )
            continue
        positions = header_map(list(obj), schema)
        keys = list(obj)
        row = {name: _clean(_json_text(obj[keys[i]])) for name, i in positions.items()}
        extras = {k: obj[k] for i, k in enumerate(keys) if i not in set(positions.values())}
        records.append(
            _record(schema, row, path, number, line, None, _missing(schema, positions), extras)
        )
    return ReadResult(_frame(records, schema), "jsonl", encoding)


def read_parquet(path: Path, schema: FeedSchema) -> ReadResult:
    """Read a whole Parquet file (tests and small files); see iter_parquet for the batches."""
    chunks = list(iter_parquet(path, schema, with_raw_record=True))
    return ReadResult(pl.concat(chunks, how="vertical"), "parquet", None)


def iter_parquet(
    path: Path, schema: FeedSchema, batch_rows: int = 1 << 20, with_raw_record: bool = False
) -> Iterator[pl.DataFrame]:
    """A Parquet file as raw frames of at most `batch_rows` rows, read batch by batch, so memory
    is set by the batch and not the file. Values become text, so every format types the same
    way. The raw record (JSON of the whole row) is left null unless `with_raw_record`: it is
    only needed for the few rows quarantined, and parquet_raw_records makes it for them."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        columns = handle.schema_arrow.names
        batches = handle.iter_batches(batch_size=batch_rows)
        first = next(batches, None)
    except Exception as error:  # noqa: BLE001 - any decoder error means the file is unreadable
        raise FeedFileError(f"{path}: not a readable Parquet file ({error})") from error
    positions = header_map(columns, schema)
    missing = _missing(schema, positions)
    if first is None:
        _check_header(path, missing)
        empty = pl.from_arrow(handle.schema_arrow.empty_table())
        yield _parquet_rows(empty, path, schema, positions, missing, 1, with_raw_record)
        return
    line = 1
    batch = first
    while batch is not None:
        frame = pl.from_arrow(batch)
        yield _parquet_rows(frame, path, schema, positions, missing, line, with_raw_record)
        line += frame.height
        try:
            batch = next(batches, None)
        except Exception as error:  # noqa: BLE001 - a damaged row group later in the file
            raise FeedFileError(f"{path}: not a readable Parquet file ({error})") from error


def _parquet_rows(frame, path, schema, positions, missing, first_line, with_raw_record):
    """One Parquet batch as raw rows (text values and bookkeeping), lines from first_line."""
    extra = [c for i, c in enumerate(frame.columns) if i not in set(positions.values())]
    exprs = []
    for column in schema.columns:
        if column.name in positions:
            source = frame.columns[positions[column.name]]
            exprs.append(_parquet_text(frame.schema[source], source).alias(column.name))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(column.name))
    raw_record = parquet_record(frame.columns) if with_raw_record else pl.lit(None, dtype=pl.String)
    rows = frame.select(
        *exprs,
        pl.lit(str(path)).alias("_file_path"),
        pl.int_range(first_line, first_line + pl.len(), dtype=pl.Int64).alias("_line_number"),
        raw_record.alias("_raw_record"),
        pl.lit(None, dtype=pl.String).alias("_malformed"),
        pl.lit(missing[0], dtype=pl.String).alias("_missing_required"),
        pl.lit(missing[1], dtype=pl.String).alias("_missing_optional"),
        (pl.struct(extra).struct.json_encode() if extra else pl.lit(None, dtype=pl.String)).alias(
            "_extra_columns"
        ),
    )
    return rows.select(list(schema.names) + list(META_COLUMNS))


def parquet_record(columns: list[str]) -> pl.Expr:
    """A Parquet row as it stood in the file: a JSON object of every column."""
    return pl.struct(columns).struct.json_encode() if columns else pl.lit(None, dtype=pl.String)


def parquet_raw_records(path: Path, lines: list[int]) -> pl.DataFrame:
    """The raw records (`_line_number`, `raw_record`) of some rows of a Parquet file, given
    by ascending 1-based line numbers; only the row groups that span them are read."""
    first, last = lines[0], lines[-1]
    frame = (
        pl.scan_parquet(path)
        .slice(first - 1, last - first + 1)
        .with_row_index("_line_number", offset=first)
        .filter(pl.col("_line_number").is_in(lines))
    )
    columns = [c for c in frame.collect_schema().names() if c != "_line_number"]
    return frame.select(
        pl.col("_line_number").cast(pl.Int64), parquet_record(columns).alias("raw_record")
    ).collect()


def _parquet_text(dtype: pl.DataType, source: str) -> pl.Expr:
    """A Parquet column as trimmed text, formatting timestamps the way CSV feeds write them."""
    col = pl.col(source)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            col = col.dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)
        return col.dt.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(dtype, pl.Date):
        return col.dt.strftime("%Y-%m-%d")
    text = col.cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _json_text(value) -> str | None:
    """A JSON scalar as text (booleans as true/false, like the CSV feeds)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _missing(schema: FeedSchema, positions: dict[str, int]) -> tuple[str | None, str | None]:
    """Comma-joined names of the required and of the optional columns a header lacks."""
    required = [c.name for c in schema.columns if c.required and c.name not in positions]
    optional = [c.name for c in schema.columns if not c.required and c.name not in positions]
    return ",".join(required) or None, ",".join(optional) or None


def _record(schema, row, path, line, raw, malformed, missing, extras) -> dict:
    """One raw row: schema columns in order, then bookkeeping."""
    record = {name: row.get(name) for name in schema.names}
    record.update(
        _file_path=str(path),
        _line_number=line,
        _raw_record=raw,
        _malformed=malformed,
        _missing_required=missing[0],
        _missing_optional=missing[1],
        _extra_columns=json.dumps(extras, ensure_ascii=False, default=str) if extras else None,
    )
    return record


def _malformed_record(schema, path, line, raw, reason, missing) -> dict:
    """A row for a record the reader could not split into fields."""
    return _record(schema, {}, path, line, raw, reason, missing, None)


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def read_file(path: Path, schema: FeedSchema) -> ReadResult:
    """Read one landed file of any supported format."""
    return READERS[detect_format(path)](path, schema)


def iter_file(
    path: Path, schema: FeedSchema, batch_rows: int = 1 << 20
) -> tuple[str, str | None, Iterator[pl.DataFrame]]:
    """A landed file's format, encoding and raw rows in batches of at most batch_rows.

    Parquet is read batch by batch (memory set by the batch); a CSV or JSON-lines file is read
    whole, then handed out in batches (memory set by the largest such file)."""
    fmt = detect_format(path)
    if fmt == "parquet":
        return fmt, None, iter_parquet(path, schema, batch_rows)
    result = READERS[fmt](path, schema)
    rows = result.rows
    batches = (rows.slice(i, batch_rows) for i in range(0, max(rows.height, 1), batch_rows))
    return fmt, result.encoding, batches
