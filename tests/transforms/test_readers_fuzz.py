"""Property tests of the CSV reader: it never crashes on garbage and never loses a row, and
reading a file in batches, however small, gives exactly the rows of one whole read."""

from __future__ import annotations

import csv
import io
import re
from unittest import mock

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beatbrief.feeds import load_schema
from transforms import readers
from transforms.readers import decode_text, iter_file, read_csv, read_file

SCHEMA = load_schema("patrol_shifts")
FIELD = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
# batch sizes that put batch boundaries everywhere (each compared with one whole read)
TINY_BATCHES = (1, 2, 3)


def physical_lines(text: str) -> list[str]:
    """Lines as CSV sees them: split at CRLF, CR or LF only."""
    return [line for line in re.split(r"\r\n|\r|\n", text)]


def body_lines(text: str) -> list[str]:
    """The non-blank physical lines after the header line."""
    return [line for line in physical_lines(text)[1:] if line.strip()]


def read_in_batches(path, batch_rows: int) -> pl.DataFrame:
    """A file's rows read through iter_file in batches of at most batch_rows."""
    batches = list(iter_file(path, SCHEMA, batch_rows))
    assert all(batch.height <= batch_rows for batch in batches)
    return pl.concat(batches)


def assert_batches_read_the_whole(path, whole: pl.DataFrame, small_sample: bool = True) -> None:
    """Tiny batches, and tiny blocks of text, give exactly the rows of one whole read."""
    for batch_rows in TINY_BATCHES:
        assert read_in_batches(path, batch_rows).equals(whole), batch_rows
    if not small_sample:
        return
    # blocks of a few bytes cut characters, CRLF pairs and records, from a sample just large
    # enough to show the file's encoding as a whole read sees it
    with (
        mock.patch.object(readers, "BLOCK_BYTES", 5),
        mock.patch.object(readers, "SAMPLE_BYTES", 64),
    ):
        assert read_in_batches(path, 2).equals(whole)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(st.lists(FIELD, min_size=1, max_size=len(SCHEMA.names) + 2), max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    chinese_header=st.booleans(),
)
def test_well_formed_csv_round_trips_every_record(
    tmp_path_factory, records, encoding, newline, chinese_header
):
    out = io.StringIO(newline="")
    # quote every field: csv.writer leaves a lone CR unquoted when the line end is LF
    writer = csv.writer(out, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow([c.zh for c in SCHEMA.columns] if chinese_header else SCHEMA.names)
    writer.writerows(records)
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    rows = read_file(path, SCHEMA).rows
    assert rows.height == len(records)
    for row, record in zip(rows.iter_rows(named=True), records, strict=True):
        for index, name in enumerate(SCHEMA.names):
            value = record[index].strip() if index < len(record) else ""
            assert row[name] == (value or None)
        assert (row["_malformed"] is None) == (len(record) == len(SCHEMA.names))
    # 64 bytes of GB18030 text may read as UTF-8 by chance, but not the Chinese labels
    assert_batches_read_the_whole(path, rows, encoding != "gb18030" or chinese_header)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(garbage=st.binary(max_size=400), bom=st.booleans())
def test_garbage_never_crashes_and_every_line_is_accounted_for(tmp_path_factory, garbage, bom):
    data = (b"\xef\xbb\xbf" if bom else b"") + (",".join(SCHEMA.names) + "\n").encode() + garbage
    path = tmp_path_factory.mktemp("fuzz") / "g.csv"
    path.write_bytes(data)
    rows = read_file(path, SCHEMA).rows
    text, _ = decode_text(data, path)
    covered = [line for raw in rows["_raw_record"] for line in physical_lines(raw) if line.strip()]
    assert covered == body_lines(text)
    # damaged bytes: only a BOM settles the encoding on any sample (damaged bytes replaced)
    assert_batches_read_the_whole(path, rows, small_sample=bom)


PLAIN_FIELD = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='\x00",\r\n'),
    max_size=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(
        st.lists(PLAIN_FIELD, min_size=len(SCHEMA.names), max_size=len(SCHEMA.names)),
        max_size=20,
    ),
    header=st.permutations(SCHEMA.names),
    blank_lines=st.lists(st.integers(min_value=0, max_value=20), max_size=3),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    quoted=st.lists(st.integers(min_value=0, max_value=20), max_size=2),
)
def test_the_vectorised_csv_path_reads_exactly_what_the_row_wise_reader_reads(
    tmp_path_factory, records, header, blank_lines, newline, quoted
):
    lines = [",".join(header), *(",".join(r) for r in records)]
    for at in quoted:  # a quoted record makes its batch row-wise; the others stay vectorised
        if 0 < at < len(lines):
            lines[at] = ",".join(f'"{field}"' for field in lines[at].split(","))
    for at in blank_lines:  # blank lines are no records, but they keep the line numbers honest
        lines.insert(min(at, len(lines) - 1) + 1, " ")
    path = tmp_path_factory.mktemp("plain") / "p.csv"
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    fast = read_csv(path, SCHEMA).rows
    assert fast.equals(read_csv(path, SCHEMA, vectorised=False).rows)
    assert fast.height == len(records)
    assert_batches_read_the_whole(path, fast)
