"""The bad-file corpus: every fault lands, and each file's outcome is exactly as expected."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from expectations.validate import FeedValidationError, validate_feed
from transforms import warehouse
from transforms.ingest import ingest_feed

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))
AS_OF = date(2026, 11, 27)
REFERENCE = {
    "stations": "2026-10-01",
    "communities": "2026-10-01",
    "road_segments": "2026-10-01",
    "patrol_shifts": "2026-11-27",
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Settings, dict[str, str]]:
    """Every corpus file landed in one home and loaded feed by feed; returns the failures."""
    settings = Settings(home=tmp_path_factory.mktemp("corpus"))
    for feed, day in REFERENCE.items():
        folder = settings.landing_partition(feed, date.fromisoformat(day))
        folder.mkdir(parents=True)
        shutil.copy(CORPUS / "_reference" / f"{feed}.csv", folder / f"{feed}.csv")
    for case in CASES:
        spec = expected(case)
        folder = settings.landing_partition(spec["feed"], date.fromisoformat(spec["partition"]))
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / case / spec["file"], folder / spec["file"])
        if "inflate" in spec:  # a field too big to keep in the repository, made here
            landed = folder / spec["file"]
            marker, chars = spec["inflate"]["marker"], spec["inflate"]["chars"]
            landed.write_text(landed.read_text("utf-8").replace(marker, "x" * chars), "utf-8")
    failures = {}
    for feed in FEED_NAMES:
        ingest_feed(settings, feed, AS_OF)
        try:
            validate_feed(settings, feed, AS_OF)
        except FeedValidationError as error:
            failures[feed] = str(error)
    return settings, failures


def expected(case: str) -> dict:
    return json.loads((CORPUS / case / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES)
def test_corpus_file_outcome(loaded, case):
    settings, failures = loaded
    spec = expected(case)
    with warehouse.connect(settings) as con:
        rows = con.execute(
            "select status, rows_read, rows_accepted, rows_quarantined, rows_duplicate, file_path "
            "from load_manifest where feed = ? and file_path like ?",
            [spec["feed"], f"%/{spec['file']}"],
        ).fetchall()
        assert len(rows) == 1, case
        status, read, accepted, quarantined, duplicate, path = rows[0]
        quarantined_rows = con.execute(
            "select line_number, rule, detail from quarantine where file_path = ?", [path]
        ).fetchall()
    rules = {str(line): rule for line, rule, _ in quarantined_rows}
    details = {str(line): detail for line, _, detail in quarantined_rows if detail}
    assert (status, read, accepted, quarantined, duplicate) == (
        spec["status"],
        spec["rows_read"],
        spec["rows_accepted"],
        spec["rows_quarantined"],
        spec["rows_duplicate"],
    )
    assert read == accepted + quarantined + duplicate
    assert rules == spec["rules"]
    if "details" in spec:  # a type error names its column and the text that did not parse
        assert details == spec["details"]
    if "batch_failure" in spec:
        assert spec["batch_failure"] in failures.get(spec["feed"], ""), failures


def test_only_the_broken_files_fail_their_feed(loaded):
    _, failures = loaded
    assert set(failures) == {"cases"}
    assert "no_reported_at.csv" in failures["cases"] and "broken.parquet" in failures["cases"]
    assert "header_only.csv" in failures["cases"]  # a schema fault even with no rows
    assert "reported_at" in failures["cases"]  # the missing column is named


def test_invalid_id_card_is_reported_not_quarantined(loaded):
    settings, _ = loaded
    with warehouse.connect(settings) as con:
        result = con.execute(
            "select success, unexpected_count from validation_results "
            "where feed = 'cases' and rule = 'expect_column_values_to_be_null(_invalid_id_cards)'"
        ).fetchall()
    assert result == [(False, 1)]
