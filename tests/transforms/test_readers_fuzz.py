"""Property tests of the CSV reader: it never crashes on garbage and never loses a row."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beatbrief.feeds import load_schema
from transforms.readers import decode_text, read_csv, read_file

SCHEMA = load_schema("patrol_shifts")
FIELD = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


def physical_lines(text: str) -> list[str]:
    """Lines as CSV sees them: split at CRLF, CR or LF only."""
    return [line for line in re.split(r"\r\n|\r|\n", text)]


def body_lines(text: str) -> list[str]:
    """The non-blank physical lines after the header line."""
    return [line for line in physical_lines(text)[1:] if line.strip()]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(st.lists(FIELD, min_size=1, max_size=len(SCHEMA.names) + 2), max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_well_formed_csv_round_trips_every_record(tmp_path_factory, records, encoding, newline):
    out = io.StringIO(newline="")
    # quote every field: csv.writer leaves a lone CR unquoted when the line end is LF
    writer = csv.writer(out, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(SCHEMA.names)
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


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(garbage=st.binary(max_size=400))
def test_garbage_never_crashes_and_every_line_is_accounted_for(tmp_path_factory, garbage):
    data = (",".join(SCHEMA.names) + "\n").encode() + garbage
    path = tmp_path_factory.mktemp("fuzz") / "g.csv"
    path.write_bytes(data)
    rows = read_file(path, SCHEMA).rows
    text, _ = decode_text(data, path)
    covered = [line for raw in rows["_raw_record"] for line in physical_lines(raw) if line.strip()]
    assert covered == body_lines(text)


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
)
def test_the_vectorised_csv_path_reads_exactly_what_the_row_wise_reader_reads(
    tmp_path_factory, records, header, blank_lines, newline
):
    lines = [",".join(header), *(",".join(r) for r in records)]
    for at in blank_lines:  # blank lines are no records, but they keep the line numbers honest
        lines.insert(min(at, len(lines) - 1) + 1, " ")
    path = tmp_path_factory.mktemp("plain") / "p.csv"
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    fast = read_csv(path, SCHEMA).rows
    assert fast.equals(read_csv(path, SCHEMA, vectorised=False).rows)
    assert fast.height == len(records)
