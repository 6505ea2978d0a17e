"""Files are read incrementally, in batches, and that changes nothing: every batch size gives
the rows of one whole read. The encoding is detected on a sample; bytes after it that do not
decode in that encoding reject the file, naming the line and the byte offset."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path
from unittest import mock

import polars as pl
import pytest

from beatbrief.config import Settings
from beatbrief.feeds import load_schema
from transforms import readers, warehouse
from transforms.ingest import ingest_feed
from transforms.readers import FeedFileError, iter_file, read_csv, read_file

CORPUS = Path(__file__).parents[1] / "expectations" / "corpus"
TEXT_CASES = sorted(
    case.name
    for case in CORPUS.iterdir()
    if (case / "expected.json").exists()
    and not json.loads((case / "expected.json").read_text("utf-8"))["file"].endswith(".parquet")
)
POPULATION = load_schema("population")
HEADER = "community_id,as_of_date,registered_residents,floating_residents,rental_households\n"


def outcome(read) -> tuple:
    """What a read gives: its rows and encoding, or the error it raises."""
    try:
        result = read()
    except FeedFileError as error:
        return ("rejected", str(error))
    return ("read", result.rows, result.encoding)


def same(a: tuple, b: tuple) -> bool:
    if a[0] != b[0] or a[0] == "rejected":
        return a == b
    return a[1].equals(b[1]) and a[2] == b[2]


def in_batches(path: Path, schema, batch_rows: int) -> readers.ReadResult:
    """A file read through iter_file, its batches put together again."""
    batches = iter_file(path, schema, batch_rows)
    frames = list(batches)
    assert all(frame.height <= batch_rows for frame in frames)
    return readers.ReadResult(pl.concat(frames), batches.file_format, batches.encoding)


def landed(case: str, folder: Path) -> tuple[Path, object]:
    """A corpus case's file as it lands (inflated where the case says so), and its schema."""
    spec = json.loads((CORPUS / case / "expected.json").read_text("utf-8"))
    path = folder / spec["file"]
    shutil.copy(CORPUS / case / spec["file"], path)
    if "inflate" in spec:
        marker, chars = spec["inflate"]["marker"], spec["inflate"]["chars"]
        path.write_text(path.read_text("utf-8").replace(marker, "x" * chars), "utf-8")
    return path, load_schema(spec["feed"])


@pytest.mark.parametrize("case", TEXT_CASES)
def test_every_batch_size_reads_a_corpus_file_as_one_whole_read(tmp_path, case):
    path, schema = landed(case, tmp_path)
    whole = outcome(lambda: read_file(path, schema))
    for batch_rows in (1, 2, 3, 1000):
        assert same(outcome(lambda b=batch_rows: in_batches(path, schema, b)), whole), batch_rows
    # text decoded a few bytes at a time, from a sample just big enough to show the encoding
    with (
        mock.patch.object(readers, "BLOCK_BYTES", 7),
        mock.patch.object(readers, "SAMPLE_BYTES", 64),
    ):
        assert same(outcome(lambda: in_batches(path, schema, 2)), whole)


def test_a_record_over_a_batch_boundary_comes_out_whole_and_once(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        HEADER
        + 'C1,2026-11-01,1,2,3\n"C\n2",2026-11-01,"4\n,000",5,6\nC3,2026-11-01,7,8,9\n'
        + 'C4,"2026-11-01,1,2,3\nC5,2026-11-01,10,11,12\nC6,2026-11-01,13,14,15\n',
        "utf-8",
    )
    whole = read_file(path, POPULATION).rows
    assert whole["_line_number"].to_list() == [2, 3, 6, 7, 8, 9]
    assert whole["community_id"].to_list() == ["C1", "C\n2", "C3", None, "C5", "C6"]
    assert whole["registered_residents"][1] == "4\n,000"
    # the open quote of line 7 is quarantined as that line alone; reading goes on at line 8
    assert whole["_raw_record"][3] == 'C4,"2026-11-01,1,2,3'
    assert whole["_malformed"][3].startswith("an unbalanced quote")
    for batch_rows in (1, 2, 3):
        assert in_batches(path, POPULATION, batch_rows).rows.equals(whole)


def test_plain_batches_go_vectorised_and_others_row_wise_with_the_same_rows(tmp_path):
    plain = [f"C{i},2026-11-01,{i},1,0\n" for i in range(40)]
    plain[25] = '"C25",2026-11-01,25,1,0\n'  # one quoted record
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "".join(plain), "utf-8")
    row_wise = read_csv(path, POPULATION, vectorised=False).rows
    vectorised = []
    spy = readers._plain_rows

    def counting(lines, *args):
        frame = spy(lines, *args)
        vectorised.append(frame is not None)
        return frame

    with mock.patch.object(readers, "_plain_rows", counting):
        rows = in_batches(path, POPULATION, 10).rows
    assert rows.equals(row_wise)
    assert vectorised.count(True) == 3 and vectorised.count(False) == 1  # lines 22-31: row-wise


def test_json_lines_are_read_in_batches_and_a_bad_line_keeps_its_number(tmp_path):
    good = json.dumps({"community_id": "C1", "as_of_date": "2026-11-01", "registered_residents": 5})
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join([good, "{not json", "", good.replace("C1", "C2"), "[1]"]), "utf-8")
    whole = read_file(path, POPULATION).rows
    assert whole["_line_number"].to_list() == [1, 2, 4, 5]
    assert whole["_malformed"].is_null().to_list() == [True, False, True, False]
    assert whole["registered_residents"].to_list() == ["5", None, "5", None]
    for batch_rows in (1, 2, 3):
        assert in_batches(path, POPULATION, batch_rows).rows.equals(whole)


def utf8_then_gbk(tmp_path) -> tuple[Path, int, int]:
    """A UTF-8 file (Chinese in its first row) longer than the sample, with a row in GBK after
    it; returns the file, the GBK row's line and its byte offset."""
    head = HEADER + "幸福社区,2026-11-01,100,20,3\n"
    filler = "".join(f"C{i:07d},2026-11-01,1,2,3\n" for i in range(60_000))  # 1.5 MB, ASCII
    data = (head + filler).encode("utf-8")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data + "和平社区,2026-11-01,5,6,7\n".encode("gbk"))
    return path, 2 + 60_000 + 1, len(data)


def test_bytes_after_the_sample_in_another_encoding_reject_the_file(tmp_path):
    path, line, offset = utf8_then_gbk(tmp_path)
    assert path.stat().st_size > readers.SAMPLE_BYTES
    message = f"{path}: line {line} (byte offset {offset}) does not decode as utf-8"
    with pytest.raises(FeedFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_file(path, POPULATION)
    with pytest.raises(FeedFileError, match=f"line {line} "):
        list(iter_file(path, POPULATION, 1000))  # after many batches were handed out


def test_ingest_rejects_such_a_file_and_keeps_none_of_its_rows(tmp_path):
    settings = Settings(home=tmp_path / "home", ingest_batch_rows=1000)
    folder = settings.landing_partition("population", date(2026, 11, 1))
    folder.mkdir(parents=True)
    path, line, _ = utf8_then_gbk(folder)
    assert ingest_feed(settings, "population", date(2026, 11, 1))["rows_read"] == 0
    with warehouse.connect(settings) as con:
        manifest = con.execute("select status, rows_read, error from load_manifest").fetchall()
        raw = con.execute(f"select count(*) from {warehouse.raw_table('population')}").fetchall()
    assert manifest == [("rejected", 0, manifest[0][2])]
    # the manifest names the file by its path below the landing root
    key = path.relative_to(settings.landing_dir).as_posix()
    assert manifest[0][2].startswith(f"{key}: line {line} ")
    assert raw == [(0,)]  # the batches appended before the bad bytes are gone


def test_a_small_file_is_still_decoded_as_a_whole(tmp_path):
    path = tmp_path / "mixed.csv"  # UTF-8, then GBK: within the sample, GB18030 reads it all
    path.write_bytes(
        (HEADER + "C1,2026-11-01,1,2,3\n").encode() + "和平社区,1,2,3,4\n".encode("gbk")
    )
    result = read_file(path, POPULATION)
    assert result.encoding == "gb18030"
    assert result.rows["community_id"].to_list() == ["C1", "和平社区"]


def test_an_ascii_start_leaves_the_encoding_to_the_first_other_bytes(tmp_path):
    filler = "".join(f"C{i:07d},2026-11-01,1,2,3\r\n" for i in range(50_000))  # 1.3 MB, ASCII
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + filler + "和平社区,2026-11-01,5,6,7\r\n").encode("gbk"))
    batches = iter_file(path, POPULATION, 10_000)
    rows = pl.concat(list(batches))
    assert batches.encoding == "gb18030"
    assert rows["community_id"][-1] == "和平社区"
    assert rows.height == 50_001 and rows["_malformed"].is_null().all()


def test_the_trim_is_str_strip():
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = {c for c in everything if c.isspace()}
    assert spaces == set(readers._WHITESPACE)
    # Polars' own white space is the same but for the separators \x1c-\x1f
    kept = pl.Series([f"a{c}" for c in sorted(spaces)]).str.strip_chars()
    assert {c for c, text in zip(sorted(spaces), kept, strict=True) if text != "a"} == set(
        readers._SEPARATORS
    )
