"""Readers keep every record, whatever the encoding, layout or damage of the file."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from beatbrief.feeds import load_schema
from transforms.readers import FeedFileError, read_file

POPULATION = load_schema("population")
HEADER = "community_id,as_of_date,registered_residents,floating_residents,rental_households"


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> object:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    path = write(tmp_path, "p.csv", f"{HEADER}\r\n幸福社区,2026-11-01,100,20,3\r\n", encoding)
    result = read_file(path, POPULATION)
    assert result.rows["community_id"].to_list() == ["幸福社区"]
    assert result.rows["_line_number"].to_list() == [2]


def test_quoted_fields_keep_commas_and_newlines_and_line_numbers(tmp_path):
    text = f'{HEADER}\nC1,2026-11-01,"1,000",2,3\n"C\n2",2026-11-01,5,6,7\nC3,2026-11-01,8,9,10\n'
    rows = read_file(write(tmp_path, "p.csv", text), POPULATION).rows
    assert rows["community_id"].to_list() == ["C1", "C\n2", "C3"]
    assert rows["registered_residents"].to_list() == ["1,000", "5", "8"]
    assert rows["_line_number"].to_list() == [2, 3, 5]
    assert rows["_raw_record"][1] == '"C\n2",2026-11-01,5,6,7'


def test_reordered_extra_and_chinese_headers_map_by_name(tmp_path):
    text = "户籍人口,社区/村编码,note,floating_residents,as_of_date\n10,C1,hello,2,2026-11-01\n"
    rows = read_file(write(tmp_path, "p.csv", text), POPULATION).rows
    assert rows.select("community_id", "registered_residents", "floating_residents").row(0) == (
        "C1",
        "10",
        "2",
    )
    assert json.loads(rows["_extra_columns"][0]) == {"note": "hello"}
    assert rows["_missing_optional"][0] == "rental_households"
    assert rows["_missing_required"][0] is None


def test_missing_required_column_is_noted_on_every_row(tmp_path):
    text = "community_id,as_of_date,floating_residents\nC1,2026-11-01,2\n"
    rows = read_file(write(tmp_path, "p.csv", text), POPULATION).rows
    assert rows["_missing_required"].to_list() == ["registered_residents"]


def test_empty_file_and_header_only_file_have_no_rows(tmp_path):
    assert read_file(write(tmp_path, "a.csv", ""), POPULATION).rows.height == 0
    assert read_file(write(tmp_path, "b.csv", HEADER + "\n"), POPULATION).rows.height == 0


def test_truncated_last_line_is_kept_as_malformed(tmp_path):
    text = f"{HEADER}\nC1,2026-11-01,1,2,3\nC2,2026-11"
    rows = read_file(write(tmp_path, "p.csv", text), POPULATION).rows
    assert rows.height == 2
    assert rows["_malformed"].to_list() == [None, "expected 5 fields, found 2"]


def test_unterminated_quote_is_kept_as_malformed(tmp_path):
    text = f'{HEADER}\nC1,2026-11-01,1,2,3\nC2,"2026-11-01,1,2,3\n'
    rows = read_file(write(tmp_path, "p.csv", text), POPULATION).rows
    assert rows.height == 2
    assert rows["_malformed"][1] is not None


def test_jsonl_keeps_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {
                "community_id": "C1",
                "as_of_date": "2026-11-01",
                "registered_residents": 5,
                "floating_residents": 1,
            }
        ),
        "{not json",
        "[1]",
    ]
    rows = read_file(write(tmp_path, "p.jsonl", "\n".join(lines)), POPULATION).rows
    assert rows.height == 3
    assert rows["registered_residents"][0] == "5"
    assert rows["_malformed"][0] is None and rows["_malformed"][1].startswith("json")
    assert rows["_line_number"].to_list() == [1, 2, 3]


def test_parquet_values_become_text(tmp_path):
    path = tmp_path / "p.parquet"
    pl.DataFrame(
        {
            "community_id": ["C1"],
            "as_of_date": [date(2026, 11, 1)],
            "registered_residents": [7],
            "floating_residents": [1],
        }
    ).write_parquet(path)
    rows = read_file(path, POPULATION).rows
    assert rows.select("community_id", "as_of_date", "registered_residents").row(0) == (
        "C1",
        "2026-11-01",
        "7",
    )


def test_unknown_suffix_and_broken_parquet_name_the_file(tmp_path):
    with pytest.raises(FeedFileError, match="x.xlsx"):
        read_file(write(tmp_path, "x.xlsx", "a"), POPULATION)
    with pytest.raises(FeedFileError, match="bad.parquet"):
        read_file(write(tmp_path, "bad.parquet", "not parquet"), POPULATION)
