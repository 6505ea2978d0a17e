"""Readers for landed files: CSV (UTF-8 with or without BOM, GBK/GB18030), JSON lines, Parquet.

Every reader returns one row per record it found, all values as text exactly as written (only
trimmed), plus bookkeeping columns. Readers never judge a record: they note what they saw
(`_malformed`, `_missing_required`, `_missing_optional`) and Great Expectations decides.
Nothing is dropped here, so the load manifest can account for every row.

Every format is read incrementally, in batches of at most `batch_rows` records, so memory is
set by the batch and not by the file: Parquet by row group, CSV and JSON lines block by block of
text (`iter_file`). The whole-file readers (`read_file`, `read_csv`, ...) gather those batches.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
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
# The encoding is detected on this many bytes from the file's first non-ASCII byte (ASCII reads
# the same in every candidate), and the text is then decoded this many bytes at a time.
SAMPLE_BYTES = 1 << 20
BLOCK_BYTES = 1 << 20
# Lines tested at a time for the vectorised CSV path, and rows the row-wise readers hold as
# Python objects before turning them into a frame (a frame holds a row in far less memory).
PLAIN_PART_LINES = 16_384
ROW_FLUSH = 4_096
# A batch as large as any file, for the whole-file readers.
WHOLE_FILE = sys.maxsize


class FeedFileError(ValueError):
    """A landed file that cannot be read at all (names the file and the reason)."""


@dataclass(frozen=True)
class ReadResult:
    """Rows of one file, plus what the reader learnt about the file."""

    rows: pl.DataFrame
    file_format: str
    encoding: str | None


class FileBatches:
    """A landed file's raw rows as an iterator of frames, with its format and encoding. The
    encoding of a text file is known once its first non-ASCII byte is read (at the latest, once
    every batch is read); Parquet has none."""

    def __init__(
        self, file_format: str, batches: Iterator[pl.DataFrame], text: _Text | None = None
    ) -> None:
        self.file_format = file_format
        self._batches = batches
        self._text = text

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return self._batches

    @property
    def encoding(self) -> str | None:
        """The text encoding detected (None for Parquet, or before any byte is read)."""
        return None if self._text is None else self._text.encoding


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


def detect_encoding(sample: bytes, final: bool = True, at_start: bool = True) -> tuple[str, str]:
    """The encoding of a file's bytes and how they decode: a BOM (damaged bytes replaced), else
    strict UTF-8, else strict GB18030; when neither decodes cleanly (a damaged byte),
    charset-normalizer picks one and damaged bytes are replaced, so every row is kept. Returns
    (encoding, errors). `final`: the sample ends the file (else it may end inside a character);
    `at_start`: the sample starts the file (only there is a BOM one)."""
    if at_start and sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "replace"
    for encoding in CSV_ENCODINGS:
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final)
        except UnicodeDecodeError:
            continue
        return encoding, "strict"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return (best.encoding if best is not None else "gb18030"), "replace"


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode a whole file's bytes to text, detecting the encoding; returns (text, encoding)."""
    encoding, errors = detect_encoding(data)
    return data.decode(encoding, errors), encoding


class _Undecodable(Exception):
    """Bytes after the sample that do not decode in the encoding the sample showed."""

    def __init__(self, offset: int, encoding: str) -> None:
        super().__init__(offset, encoding)
        self.offset, self.encoding = offset, encoding


_NON_ASCII = re.compile(rb"[\x80-\xff]")


class _Text:
    """A landed file's text, read and decoded block by block in the encoding detected on a
    sample: the file is never held whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.encoding: str | None = None

    def chunks(self) -> Iterator[str]:
        """The text, chunk by chunk. An ASCII start reads the same in every encoding, so it is
        decoded as ASCII up to the first other byte; the SAMPLE_BYTES from there decide the
        encoding (as `detect_encoding` decides it for a whole file), and the rest is decoded
        in it. A file no bigger than the sample is thus decoded exactly as a whole. Bytes after
        the sample that do not decode in a strictly detected encoding (a UTF-8 file with GBK
        bytes late in it) raise _Undecodable: which encoding a whole decoding would pick then
        depends on the rest of the file, so the file is rejected rather than guessed."""
        size = max(SAMPLE_BYTES, len(codecs.BOM_UTF8))  # a BOM fits
        with self.path.open("rb") as handle:
            offset = 0  # bytes decoded so far
            while (block := handle.read(size)).isascii():
                if not block:  # ASCII throughout (or empty): as strict UTF-8 reads it
                    self.encoding = "utf-8"
                    return
                yield block.decode("ascii")
                offset += len(block)
            first = _NON_ASCII.search(block).start()
            sample = block + handle.read(first)  # SAMPLE_BYTES from the first non-ASCII byte
            at_end = not handle.peek(1)
            encoding, errors = detect_encoding(sample, at_end, at_start=offset == 0)
            if offset and not _ascii_superset(encoding):
                encoding = "gb18030"  # an ASCII start was read as ASCII; the rest must agree
            self.encoding = encoding
            decoder = codecs.getincrementaldecoder(encoding)(errors)
            data = sample
            while data:
                yield from self._decode(decoder, data, offset, final=False)
                offset += len(data)
                data = handle.read(BLOCK_BYTES)
            yield from self._decode(decoder, b"", offset, final=True)

    def _decode(self, decoder, data: bytes, offset: int, final: bool) -> Iterator[str]:
        """The text of the next block (`offset`: the block's place in the file); at bytes that
        do not decode, the text before them, then _Undecodable with their offset."""
        try:
            yield decoder.decode(data, final)
        except UnicodeDecodeError as error:
            # error.object: the decoder's pending bytes, then the block
            start = offset + len(data) - len(error.object)
            yield error.object[: error.start].decode(self.encoding)
            raise _Undecodable(start + error.start, self.encoding) from None


def _ascii_superset(encoding: str) -> bool:
    """Whether an encoding reads ASCII bytes as ASCII (UTF-16 or EBCDIC do not)."""
    ascii_bytes = bytes(range(128))
    return ascii_bytes.decode(encoding, errors="replace") == ascii_bytes.decode("ascii")


_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")
# where str.splitlines splits and the csv module does not
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _split_lines(text: str) -> list[str]:
    """Lines of a text with their ends, split only at CR, LF or CRLF, as the csv module does
    (str.splitlines would also split inside fields at U+001C-U+001E, U+0085, U+2028 ...)."""
    if not any(mark in text for mark in _OTHER_BREAKS):
        return text.splitlines(keepends=True)  # the same lines, much faster
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _physical_lines(text: _Text) -> Iterator[str]:
    """A file's physical lines with their ends, read chunk by chunk (a line may span chunks,
    and a CR ending one chunk may pair with an LF starting the next). Bytes that do not decode
    are an error naming the file, the line and the byte offset."""
    pending: list[str] = []  # the start of a line whose end is in a later chunk
    carry = ""  # a CR ending the last chunk
    count = 0  # lines handed out
    try:
        for chunk in text.chunks():
            if carry:
                chunk, carry = carry + chunk, ""
            if chunk.endswith("\r"):
                chunk, carry = chunk[:-1], "\r"
            if not chunk:
                continue
            lines = _split_lines(chunk)
            tail = None if lines[-1].endswith(("\n", "\r")) else lines.pop()
            if lines:
                if pending:
                    lines[0] = "".join(pending) + lines[0]
                    pending = []
                count += len(lines)
                yield from lines
            if tail is not None:
                pending.append(tail)
        last = "".join(pending) + carry
        if last:
            yield last
    except _Undecodable as error:
        line = count + 1 + (1 if carry else 0)  # a carried CR ended the line before
        raise FeedFileError(
            f"{text.path}: line {line} (byte offset {error.offset}) does not decode as "
            f"{error.encoding}, the encoding detected on the {SAMPLE_BYTES:,} bytes from the "
            "file's first non-ASCII byte: a file must be in one encoding throughout"
        ) from None


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


class _Layout:
    """How the fields of records under a header (or the keys of a JSON object) map to the
    contract's columns."""

    def __init__(self, header: list[str], schema: FeedSchema) -> None:
        self.header = header
        self.width = len(header)
        self.positions = header_map(header, schema)
        self.missing = _missing(schema, self.positions)
        known = set(self.positions.values())
        self.extra = [i for i in range(len(header)) if i not in known]
        # the contract's columns from a record's fields followed by a None (a column the
        # header lacks reads that None)
        index = [self.positions.get(name, -1) for name in schema.names]
        self.pick = itemgetter(*index, -1)  # (a tuple even for one column; the None is cut)

    def values(self, fields: list) -> tuple:
        """The contract's columns from a record's fields (None where the record has none)."""
        found = len(fields)
        return self.pick(fields + [None] * max(1, self.width + 1 - found))[:-1]


def _empty(schema: FeedSchema) -> pl.DataFrame:
    """A raw frame with no rows: every schema column (text) and the bookkeeping columns."""
    return pl.DataFrame(schema={name: pl.String for name in schema.names} | META_COLUMNS)


# What str.strip() strips (str.isspace): the white space Polars' strip_chars() strips, and the
# separators \x1c-\x1f besides (rare in text, so sought before the slower exact trim is used).
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_SEPARATORS = ["\x1c", "\x1d", "\x1e", "\x1f"]


def _trimmed(value: pl.Expr, chars: str | None = None) -> pl.Expr:
    """Text trimmed of `chars` (by default, of white space but the separators U+001C-U+001F);
    empty text becomes null."""
    return value.str.strip_chars(chars).replace("", None)


class _Rows:
    """Raw rows gathered one at a time, held as Python objects only ROW_FLUSH at a time; the
    contract's values are trimmed (empty text becomes null) when they become a frame."""

    def __init__(self, schema: FeedSchema, path: Path) -> None:
        self.names = schema.names
        self.columns = {name: pl.String for name in schema.names} | META_COLUMNS
        del self.columns["_file_path"]  # one value for every row: added as a literal
        self.empty = _empty(schema)
        self.path = str(path)
        self.count = 0
        self._rows: list[tuple] = []
        self._frames: list[pl.DataFrame] = []

    def add(self, values, line: int, raw: str, malformed, missing, extras=None) -> None:
        """One raw row: the schema columns' text (untrimmed) in order, then bookkeeping."""
        extra = json.dumps(extras, ensure_ascii=False, default=str) if extras else None
        self._rows.append((*values, line, raw, malformed, *missing, extra))
        self.count += 1
        if len(self._rows) >= ROW_FLUSH:
            self._flush()

    def damaged(self, line: int, raw: str, reason: str, missing) -> None:
        """A row for a record the reader could not split into fields."""
        self.add([None] * len(self.names), line, raw, reason, missing)

    def frame(self) -> pl.DataFrame:
        """The rows gathered so far as one frame; the gathering starts again."""
        self._flush()
        frames, self._frames, self.count = self._frames, [], 0
        return pl.concat(frames) if frames else self.empty

    def _flush(self) -> None:
        if self._rows:
            values = zip(*self._rows, strict=True)
            series = zip(self.columns.items(), values, strict=True)
            frame = pl.DataFrame([pl.Series(n, v, dtype=t) for (n, t), v in series])
            odd = (pl.col(n).str.contains_any(_SEPARATORS).any() for n in self.names)
            chars = _WHITESPACE if frame.select(pl.any_horizontal(odd)).item() else None
            trimmed = [_trimmed(pl.col(n), chars).alias(n) for n in self.names]
            path = pl.lit(self.path).alias("_file_path")
            rest = [name for name in META_COLUMNS if name != "_file_path"]
            self._frames.append(frame.select(*trimmed, path, *rest))
            self._rows = []


class _Lines:
    """Physical lines fed to csv.reader one at a time. The lines of the record being read are
    kept, so that reading can resume at the line after a damaged record's first line: memory
    holds one record (a field is at most MAX_FIELD_CHARS), not the file."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._source = lines
        self._again: list[str] = []  # lines given back, the next one last
        self._done = False
        self.number = 0  # lines handed out so far (the last one's 1-based number)
        self.record: list[str] = []  # lines handed out since begin()

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            line = self._again.pop()
        else:
            try:
                line = next(self._source)
            except StopIteration:
                self._done = True
                raise
        self.number += 1
        self.record.append(line)
        return line

    @property
    def exhausted(self) -> bool:
        """Whether every line has been handed out."""
        return self._done and not self._again

    def begin(self) -> int:
        """Start a record; returns its first line's number."""
        self.record = []
        return self.number + 1

    def take(self, count: int) -> list[str]:
        """Up to `count` lines at once (outside any record)."""
        taken = [self._again.pop() for _ in range(min(count, len(self._again)))]
        if len(taken) < count and not self._done:
            more = list(islice(self._source, count - len(taken)))
            self._done = len(more) < count - len(taken)
            taken += more
        self.number += len(taken)
        return taken

    def give_back(self, lines: list[str]) -> None:
        """Hand these lines out again, next, in order."""
        self._again.extend(reversed(lines))
        self.number -= len(lines)

    def resume_after_first(self) -> None:
        """Read the current record's lines again from its second line on."""
        self.give_back(self.record[1:])
        self.record = []


def read_csv(path: Path, schema: FeedSchema, vectorised: bool = True) -> ReadResult:
    """Read a whole CSV file of any supported encoding (see `_csv_file`); `vectorised=False`
    reads every record row-wise, with the same result."""
    return _gather(_csv_file(path, schema, WHOLE_FILE, vectorised))


def _csv_file(path: Path, schema: FeedSchema, batch_rows: int, vectorised: bool) -> FileBatches:
    """A CSV file of any supported encoding as raw frames of at most `batch_rows` records,
    keeping line numbers and raw records. A run of plain lines (no quotes, every line as wide as
    the header, no column beyond the contract's) is split by Polars in one pass; any other
    batch goes through the row-wise reader (`vectorised=False` forces it), with the same result.

    A record that cannot be split into the header's fields and spans several lines (an
    unbalanced quote swallowing the lines after it) is quarantined as its first line alone,
    and reading resumes at the next line: one damaged record never hides the ones after it.
    A record that runs over a batch's end comes out whole, in that batch."""
    text = _Text(path)
    return FileBatches("csv", _csv_batches(text, schema, batch_rows, vectorised), text)


def _csv_batches(
    text: _Text, schema: FeedSchema, batch_rows: int, vectorised: bool
) -> Iterator[pl.DataFrame]:
    """The raw rows of a CSV file, batch by batch (see _csv_file)."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    path = text.path
    source = _Lines(_physical_lines(text))
    source.begin()
    try:
        header = next(csv.reader(source))
    except StopIteration:  # an empty file
        yield _empty(schema)
        return
    has_text = "".join(source.record).strip() != ""  # else every line is blank: no schema
    layout = _Layout(header, schema)
    # extra or repeated columns: the row-wise reader keeps them aside
    plain = vectorised and has_text and len(layout.positions) == layout.width > 0
    found = False
    while not source.exhausted:
        batch = _plain_batch(source, path, schema, layout, batch_rows) if plain else None
        if batch is None:
            batch = _rowwise_batch(source, path, schema, layout, batch_rows)
        if batch.height:
            found = True
            yield batch
        batch = None  # not held while the next batch is read
    if not found:
        if has_text:
            _check_header(path, layout.missing)
        yield _empty(schema)


# Text the vectorised path leaves to the row-wise reader: quotes, NUL, and the characters on
# which Python's and Polars' line and space handling disagree (\x0b, \x0c, \x1c-\x1f, ...).
_NOT_PLAIN = ['"', "\x00", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f"]
_NOT_PLAIN += ["\x85", "\u2028", "\u2029"]


def _plain_batch(
    source: _Lines, path: Path, schema: FeedSchema, layout: _Layout, batch_rows: int
) -> pl.DataFrame | None:
    """The raw rows of the plain lines next in the source (up to batch_rows of them, taken
    PLAIN_PART_LINES at a time while they stay plain), split by Polars; None if the next lines
    are not plain (or there are none), which are then left for the row-wise reader."""
    frames: list[pl.DataFrame] = []
    taken = 0
    while taken < batch_rows:
        first = source.number + 1
        part = source.take(min(PLAIN_PART_LINES, batch_rows - taken))
        if not part:
            break
        frame = _plain_rows(part, first, path, schema, layout)
        if frame is None:
            source.give_back(part)
            break
        frames.append(frame)
        taken += len(part)
    return pl.concat(frames) if frames else None


def _plain_rows(
    lines: list[str], first: int, path: Path, schema: FeedSchema, layout: _Layout
) -> pl.DataFrame | None:
    """The raw rows of plain lines (numbered from `first`) split by Polars in one vectorised
    pass, exactly as the row-wise reader reads them; None if any line is not plain."""
    series = pl.Series("_raw_record", lines, dtype=pl.String)
    if series.str.contains_any(_NOT_PLAIN).any():
        return None
    width, missing = layout.width, layout.missing
    columns = []
    for name in schema.names:
        if name in layout.positions:
            columns.append(_trimmed(pl.col(f"field_{layout.positions[name]}")).alias(name))
        else:
            columns.append(pl.lit(None, dtype=pl.String).alias(name))
    # without those characters a line holds no line break but its end, as csv reads it
    raw = pl.col("_raw_record")
    rows = (
        pl.LazyFrame([series.str.strip_chars_end("\r\n")])
        .with_row_index("_line_number", offset=first)
        .filter(raw.str.strip_chars() != "")
        .with_columns(
            raw.str.split_exact(",", width - 1).alias("_fields"),
            (raw.str.count_matches(",", literal=True) == width - 1).alias("_is_plain"),
        )
        .unnest("_fields")
        .select(
            *columns,
            pl.lit(str(path)).alias("_file_path"),
            pl.col("_line_number").cast(pl.Int64),
            raw,
            pl.lit(None, dtype=pl.String).alias("_malformed"),
            pl.lit(missing[0], dtype=pl.String).alias("_missing_required"),
            pl.lit(missing[1], dtype=pl.String).alias("_missing_optional"),
            pl.lit(None, dtype=pl.String).alias("_extra_columns"),
            "_is_plain",
        )
        .collect()
    )
    # a line of another width is the row-wise reader's (it notes the record as malformed)
    return rows.drop("_is_plain") if rows["_is_plain"].all() else None


def _rowwise_batch(
    source: _Lines, path: Path, schema: FeedSchema, layout: _Layout, batch_rows: int
) -> pl.DataFrame:
    """Up to batch_rows records read one at a time by the csv module."""
    rows = _Rows(schema, path)
    width, missing = layout.width, layout.missing
    reader = csv.reader(source)
    while rows.count < batch_rows:
        start = source.begin()
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # e.g. a field over MAX_FIELD_CHARS
            rows.damaged(start, source.record[0].rstrip("\r\n"), f"csv: {error}", missing)
            source.resume_after_first()
            reader = csv.reader(source)
            continue
        record = source.record
        raw = (record[0] if len(record) == 1 else "".join(record)).rstrip("\r\n")
        if not raw.strip():
            continue  # a blank line is no record (a quoted empty field "" is one)
        malformed = None
        if len(fields) != width:
            malformed = f"expected {width} fields, found {len(fields)}"
        if len(record) > 1 and _swallowed(record[1:], width):
            # resynchronise at the line after the damaged one
            reason = (
                f"an unbalanced quote: the record from line {start} runs over whole records "
                f"up to line {source.number}"
            )
            rows.damaged(start, record[0].rstrip("\r\n"), reason, missing)
            source.resume_after_first()
            reader = csv.reader(source)
            continue
        found = len(fields)
        extras = {layout.header[i]: fields[i] for i in layout.extra if i < found}
        rows.add(layout.values(fields), start, raw, malformed, missing, extras)
    return rows.frame()


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


def _check_header(path: Path, missing: tuple[str | None, str | None]) -> None:
    """A file with no rows still has a schema: one lacking a required column is rejected."""
    if missing[0]:
        raise FeedFileError(
            f"{path}: header lacks required column(s) {missing[0]} (schema fault, no rows)"
        )


def read_jsonl(path: Path, schema: FeedSchema) -> ReadResult:
    """Read a whole JSON-lines file (see `_jsonl_file`)."""
    return _gather(_jsonl_file(path, schema, WHOLE_FILE))


def _jsonl_file(path: Path, schema: FeedSchema, batch_rows: int) -> FileBatches:
    """JSON lines (UTF-8 or GB18030) as raw frames of at most `batch_rows` records, line by
    line; a line that is not a JSON object is kept as malformed."""
    text = _Text(path)
    return FileBatches("jsonl", _jsonl_batches(text, schema, batch_rows), text)


def _jsonl_batches(text: _Text, schema: FeedSchema, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The raw rows of a JSON-lines file, batch by batch, one record per non-blank line."""
    rows = _Rows(schema, text.path)
    # objects of a file mostly share their keys: map each set of keys once
    layout = functools.lru_cache(maxsize=64)(lambda keys: _Layout(list(keys), schema))
    found = False
    for number, line in enumerate(_physical_lines(text), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            rows.damaged(number, line, f"json: {error}", (None, None))
        else:
            keys = list(obj)
            mapped = layout(tuple(keys))
            values = mapped.values([_json_text(value) for value in obj.values()])
            extras = {keys[i]: obj[keys[i]] for i in mapped.extra}
            rows.add(values, number, line, None, mapped.missing, extras)
        if rows.count >= batch_rows:
            found = True
            yield rows.frame()
    if rows.count or not found:
        yield rows.frame()


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


def _gather(batches: FileBatches) -> ReadResult:
    """A whole file's rows from its batches."""
    rows = pl.concat(list(batches), how="vertical")
    return ReadResult(rows, batches.file_format, batches.encoding)


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def read_file(path: Path, schema: FeedSchema) -> ReadResult:
    """Read one landed file of any supported format."""
    return READERS[detect_format(path)](path, schema)


def iter_file(path: Path, schema: FeedSchema, batch_rows: int = 1 << 20) -> FileBatches:
    """A landed file's raw rows in batches of at most batch_rows, read incrementally whatever
    the format, so memory is set by the batch and not by the file; the result also gives the
    file's format and (once read) its encoding."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
    fmt = detect_format(path)
    if fmt == "parquet":
        return FileBatches(fmt, iter_parquet(path, schema, batch_rows))
    if fmt == "csv":
        return _csv_file(path, schema, batch_rows, vectorised=True)
    return _jsonl_file(path, schema, batch_rows)
