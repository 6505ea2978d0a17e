"""Landing files the way upstream systems deliver them, and the truth the tests compare against."""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from beatbrief.feeds import FEED_NAMES, FeedSchema, load_schema

TS_FORMAT = "%Y-%m-%d %H:%M:%S"
_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?")
FAULT_COLUMNS = ("feed", "partition_date", "file_name", "record_key", "fault_type", "column_name")


@dataclass(frozen=True)
class FileFormat:
    """How a file is serialised: format, text encoding (a Python codec name) and line ending."""

    format: str
    encoding: str
    line_ending: str

    @property
    def suffix(self) -> str:
        return {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}[self.format]


GB18030_CSV = FileFormat("csv", "gb18030", "crlf")  # the classic government export
UTF8_BOM_CSV = FileFormat("csv", "utf-8-sig", "crlf")  # Excel-friendly export
UTF8_CSV = FileFormat("csv", "utf-8", "lf")
JSONL = FileFormat("jsonl", "utf-8", "lf")
PARQUET = FileFormat("parquet", "binary", "none")


def to_text(frame: pl.DataFrame, schema: FeedSchema) -> pl.DataFrame:
    """The contract's columns, in order, with every value rendered as text (None stays null)."""
    exprs = []
    for col in schema.columns:
        c = pl.col(col.name)
        if col.type == "timestamp":
            exprs.append(c.dt.strftime(TS_FORMAT))
        elif col.type == "date":
            exprs.append(c.dt.strftime("%Y-%m-%d"))
        elif col.type == "boolean":
            exprs.append(pl.when(c).then(pl.lit("true")).when(~c).then(pl.lit("false")))
        else:
            exprs.append(c.cast(pl.String))
    return frame.select([e.alias(col.name) for e, col in zip(exprs, schema.columns, strict=True)])


def _json_value(value: str | None, kind: str):
    """Typed JSON value; text that does not parse (a fault) stays a string, as real feeds do."""
    if value is None:
        return None
    if kind == "integer" and _INT.fullmatch(value):
        return int(value)
    if kind == "float" and _FLOAT.fullmatch(value):
        return float(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def render(text: pl.DataFrame, schema: FeedSchema, fmt: FileFormat) -> bytes:
    """Serialise a text frame as CSV or JSON lines in the given encoding."""
    if fmt.format == "csv":
        newline = "\r\n" if fmt.line_ending == "crlf" else "\n"
        return text.write_csv(line_terminator=newline).encode(fmt.encoding)
    if fmt.format == "jsonl":
        types = [c.type for c in schema.columns]
        lines = [
            json.dumps(
                {k: _json_value(v, t) for k, v, t in zip(text.columns, row, types, strict=True)},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for row in text.iter_rows()
        ]
        return ("\n".join(lines) + "\n").encode(fmt.encoding) if lines else b""
    raise ValueError(fmt.format)


@dataclass
class Lander:
    """Writes files under HOME/landing and HOME/truth and keeps the manifest and fault list."""

    home: Path
    manifest: list[dict] = field(default_factory=list)
    faults: list[dict] = field(default_factory=list)

    @property
    def truth_dir(self) -> Path:
        return self.home / "truth"

    def reset(self) -> None:
        """Remove what an earlier simulation landed (only the simulator's own folders)."""
        for feed in FEED_NAMES:
            shutil.rmtree(self.home / "landing" / feed, ignore_errors=True)
        shutil.rmtree(self.truth_dir, ignore_errors=True)
        self.truth_dir.mkdir(parents=True)

    def _path(self, feed: str, day: date, file_name: str) -> Path:
        folder = self.home / "landing" / feed / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        return folder / file_name

    def _record(self, feed: str, day: date, path: Path, fmt: FileFormat, rows: int) -> None:
        self.manifest.append(
            {
                "feed": feed,
                "partition_date": day.isoformat(),
                "path": path.relative_to(self.home).as_posix(),
                "file_name": path.name,
                "format": fmt.format,
                "encoding": fmt.encoding,
                "line_ending": fmt.line_ending,
                "rows": rows,
                "bytes": path.stat().st_size,
            }
        )

    def land_text(
        self,
        feed: str,
        day: date,
        text: pl.DataFrame,
        fmt: FileFormat,
        stem: str,
        faults: list[dict] | None = None,
    ) -> int:
        """Write one text file (CSV or JSON lines) of a feed's partition; return its data rows."""
        schema = load_schema(feed)
        assert text.columns == schema.names, (feed, text.columns)
        path = self._path(feed, day, stem + fmt.suffix)
        path.write_bytes(render(text, schema, fmt))
        self._record(feed, day, path, fmt, text.height)
        for f in faults or []:
            self.faults.append(
                {"feed": feed, "partition_date": day.isoformat(), "file_name": path.name, **f}
            )
        return text.height

    def parquet_writer(
        self, feed: str, day: date, stem: str, schema: pa.Schema
    ) -> tuple[pq.ParquetWriter, Path]:
        """A Parquet writer tuned for pings: dictionary-encoded ids, byte-split floats, zstd."""
        path = self._path(feed, day, stem + PARQUET.suffix)
        strings = [
            f.name for f in schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
        ]
        floats = [f.name for f in schema if pa.types.is_floating(f.type)]
        writer = pq.ParquetWriter(
            path,
            schema,
            compression="zstd",
            compression_level=1,
            use_dictionary=strings,
            column_encoding={**dict.fromkeys(floats, "BYTE_STREAM_SPLIT")},
            # without the stored Arrow schema readers see plain strings, not categoricals
            store_schema=False,
        )
        return writer, path

    def close_parquet(
        self,
        feed: str,
        day: date,
        writer: pq.ParquetWriter,
        path: Path,
        rows: int,
        faults: list[dict],
    ) -> None:
        """Finish a Parquet file and record it."""
        writer.close()
        self._record(feed, day, path, PARQUET, rows)
        for f in faults:
            self.faults.append(
                {"feed": feed, "partition_date": day.isoformat(), "file_name": path.name, **f}
            )

    def write_truth(self, name: str, payload) -> None:
        """One truth file as pretty JSON (UTF-8, Chinese kept readable)."""
        (self.truth_dir / name).write_text(
            json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    def finish(self, params: dict) -> None:
        """Write manifest.json, faults.csv and params.json."""
        self.manifest.sort(key=lambda m: (m["feed"], m["partition_date"], m["file_name"]))
        self.write_truth("manifest.json", self.manifest)
        self.write_truth("params.json", params)
        faults = sorted(self.faults, key=lambda f: tuple(str(f[c]) for c in FAULT_COLUMNS))
        with (self.truth_dir / "faults.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FAULT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(faults)
