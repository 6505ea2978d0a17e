"""Ingest + GX validation on small landed files: every row accounted for, faults named."""

from __future__ import annotations

from datetime import date

import pytest

from beatbrief.config import Settings
from expectations.validate import FeedValidationError, validate_feed
from transforms import warehouse
from transforms.ingest import ingest_feed

AS_OF = date(2026, 11, 27)
HEADER = "community_id,as_of_date,registered_residents,floating_residents,rental_households"


def land(settings: Settings, feed: str, day: str, name: str, text: str, encoding="utf-8"):
    folder = settings.landing_dir / feed / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))


def manifest(settings: Settings, feed: str = "population") -> list[tuple]:
    with warehouse.connect(settings) as con:
        return con.execute(
            "select file_path, status, rows_read, rows_accepted, rows_quarantined, "
            "rows_duplicate from load_manifest where feed = ? order by file_path",
            [feed],
        ).fetchall()


STATIONS = (
    "station_id,station_name,station_type,officer_count,bureau_id,bureau_name,bureau_type,"
    "bureau_officer_count,lon,lat\nS1,城关派出所,urban,25,B1,示范县公安局,county,100,125.3,43.9\n"
)
COMMUNITIES = (
    "community_id,community_name,station_id,area_type,lon,lat,has_police_office,"
    "office_officer_count,is_complex_central_village,is_former_township_seat,is_remote\n"
    + "".join(
        f"C{i},社区{i},S1,urban,125.3{i},43.9{i},true,1,false,false,false\n" for i in range(1, 5)
    )
)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A home whose reference data (one station, communities C1-C4) is loaded."""
    settings = Settings(home=tmp_path)
    land(settings, "stations", "2026-10-01", "s.csv", STATIONS)
    land(settings, "communities", "2026-10-01", "c.csv", COMMUNITIES)
    for feed in ("stations", "communities"):
        ingest_feed(settings, feed, AS_OF)
        validate_feed(settings, feed, AS_OF)
    return settings


def test_rows_read_equal_accepted_plus_quarantined_plus_duplicates(settings):
    land(
        settings,
        "population",
        "2026-11-01",
        "a.csv",
        "\r\n".join(
            [
                HEADER,
                "C1,2026-11-01,１２３,4,5",  # full-width digits: accepted
                "C2,2026-11-01,-5,4,5",  # negative count: quarantined
                "C2,2026-11-01,-5,4,5",  # exact duplicate: collapsed
                "C3,2026-11-01,abc,4,5",  # not a number: quarantined
                "C4,2026-11-01,7,8",  # missing a field: quarantined
                ",2026-11-01,7,8,9",  # missing key: quarantined
            ]
        )
        + "\r\n",
        encoding="gb18030",
    )
    land(
        settings,
        "population",
        "2026-11-02",
        "b.jsonl",
        '{"community_id": "C1", "as_of_date": "2026-11-02", "registered_residents": 1, '
        '"floating_residents": 2}\n',
    )
    assert ingest_feed(settings, "population", AS_OF)["rows_read"] == 7
    summary = validate_feed(settings, "population", AS_OF)
    assert (summary["accepted"], summary["quarantined"], summary["duplicate"]) == (2, 4, 1)
    rows = manifest(settings)
    assert [r[1:] for r in rows] == [("validated", 6, 1, 4, 1), ("validated", 1, 1, 0, 0)]
    for _, _, read, accepted, quarantined, duplicate in rows:
        assert read == accepted + quarantined + duplicate
    with warehouse.connect(settings) as con:
        rules = dict(con.execute("select line_number, rule from quarantine").fetchall())
        assert con.execute("select count(*) from raw_population").fetchall() == [(0,)]
    assert rules == {
        3: "expect_column_values_to_be_between(registered_residents)",
        5: "expect_column_values_to_be_null(_parse_errors)",
        6: "expect_column_values_to_be_null(_malformed)",
        7: "expect_column_values_to_not_be_null(community_id)",
    }


def test_a_second_run_loads_nothing_again(settings):
    land(settings, "population", "2026-11-01", "a.csv", f"{HEADER}\nC1,2026-11-01,1,2,3\n")
    ingest_feed(settings, "population", AS_OF)
    validate_feed(settings, "population", AS_OF)
    assert ingest_feed(settings, "population", AS_OF)["files"] == 0
    assert validate_feed(settings, "population", AS_OF)["rows"] == 0
    # the same rows re-sent in a new file are exact duplicates of accepted rows
    land(settings, "population", "2026-11-02", "again.csv", f"{HEADER}\nC1,2026-11-01,1,2,3\n")
    ingest_feed(settings, "population", AS_OF)
    assert validate_feed(settings, "population", AS_OF)["duplicate"] == 1


def test_missing_required_column_rejects_the_file_and_names_it(settings):
    land(settings, "population", "2026-11-01", "good.csv", f"{HEADER}\nC1,2026-11-01,1,2,3\n")
    land(
        settings,
        "population",
        "2026-11-02",
        "broken.csv",
        "community_id,as_of_date,floating_residents\nC1,2026-11-02,2\nC2,2026-11-02,3\n",
    )
    ingest_feed(settings, "population", AS_OF)
    with pytest.raises(FeedValidationError) as failure:
        validate_feed(settings, "population", AS_OF)
    message = str(failure.value)
    assert "broken.csv" in message and "registered_residents" in message
    assert "_missing_required" in message
    statuses = {
        path.rsplit("/", 1)[1]: (status, read, quarantined)
        for path, status, read, _, quarantined, _ in manifest(settings)
    }
    assert statuses == {"good.csv": ("validated", 1, 0), "broken.csv": ("rejected", 2, 2)}


def test_unreadable_file_fails_loudly(settings):
    land(settings, "population", "2026-11-01", "bad.parquet", "not parquet at all")
    ingest_feed(settings, "population", AS_OF)
    with pytest.raises(FeedValidationError, match="bad.parquet"):
        validate_feed(settings, "population", AS_OF)
