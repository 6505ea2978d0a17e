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


# reference deliveries are full copies ------------------------------------------------------
COMMUNITY_HEADER = COMMUNITIES.splitlines()[0]


def community_rows(ids: range, changed: set[int] = frozenset()) -> str:
    """A communities delivery for ids, with a new name for those in `changed`."""
    return "".join(
        f"C{i},{'新' if i in changed else ''}社区{i},S1,urban,125.3,43.9,true,1,false,false,false\n"
        for i in ids
    )


def deliver(settings: Settings, day: str, ids: range, changed=frozenset(), copies=1) -> None:
    """Land a full communities delivery for `day`."""
    rows = community_rows(ids, changed) * copies
    land(settings, "communities", day, "c.csv", COMMUNITY_HEADER + "\n" + rows)


def load(settings: Settings, feed: str, as_of: date = AS_OF) -> dict:
    ingest_feed(settings, feed, as_of)
    return validate_feed(settings, feed, as_of)


def communities_in_force(settings: Settings, up_to: date) -> int:
    """Rows of the reference as staging reads it: the latest delivery up to `up_to`."""
    from transforms.runner import discover_models, run_model

    model = next(m for m in discover_models() if m.name == "stg_communities")
    with warehouse.connect(settings) as con:
        run_model(con, model, {"loaded_through": up_to})
        return con.execute("select count(*) from stg_communities").fetchall()[0][0]


def test_a_full_reference_re_delivery_stays_whole(settings):
    deliver(settings, "2026-11-01", range(1, 41))
    assert load(settings, "communities")["accepted"] == 40
    # re-sent with two names changed: the unchanged rows belong to the new delivery too
    deliver(settings, "2026-11-02", range(1, 41), {3, 7})
    summary = load(settings, "communities")
    assert (summary["accepted"], summary["duplicate"]) == (40, 0)
    assert communities_in_force(settings, AS_OF) == 40
    # an exact repeat inside one delivery is still collapsed
    deliver(settings, "2026-11-03", range(1, 41), copies=2)
    summary = load(settings, "communities")
    assert (summary["accepted"], summary["duplicate"]) == (40, 40)


def test_a_reference_delivery_that_drops_keys_fails_and_the_previous_stays(settings):
    deliver(settings, "2026-11-01", range(1, 41))
    load(settings, "communities")
    # 30 of 40 communities: a quarter of the keys gone, more than the 20% allowed
    deliver(settings, "2026-11-02", range(1, 31))
    with pytest.raises(FeedValidationError) as failure:
        load(settings, "communities")
    message = str(failure.value)
    assert "communities" in message and "key_drop_share" in message
    assert "lacks 10 of the previous delivery's 40 keys (25%)" in message
    assert communities_in_force(settings, AS_OF) == 40  # the previous reference stays in force
    statuses = {
        path.rsplit("/", 2)[1]: status for path, status, *_ in manifest(settings, "communities")
    }
    assert statuses["2026-11-02"] == "rejected"
    # a smaller drop (10%) passes: a few communities merged is normal
    deliver(settings, "2026-11-03", range(1, 37))
    assert load(settings, "communities")["accepted"] == 36
    assert communities_in_force(settings, AS_OF) == 36


# values no model or file name can take -----------------------------------------------------
def test_unsafe_and_non_finite_values_are_quarantined_with_their_rule(tmp_path):
    settings = Settings(home=tmp_path)
    land(
        settings,
        "stations",
        "2026-10-01",
        "s.csv",
        STATIONS
        + "../../x,坏派出所,urban,25,B1,示范县公安局,county,100,125.3,43.9\n"
        + "S3,派出所3,urban,25,B/2,示范县公安局,county,100,125.3,43.9\n"
        + "S4,派出所4,urban,25,B1,示范县公安局,county,100,125.3,NaN\n"
        + "S5,派出所5,urban,25,B1,示范县公安局,county,100,0,0\n",
    )
    summary = load(settings, "stations")
    assert (summary["accepted"], summary["quarantined"]) == (1, 4)
    with warehouse.connect(settings) as con:
        rules = dict(con.execute("select line_number, rule from quarantine").fetchall())
    assert rules == {
        3: "expect_column_values_to_match_regex(station_id)",
        4: "expect_column_values_to_match_regex(bureau_id)",
        5: "expect_column_values_to_be_null(_non_finite)",
        6: "expect_column_values_to_be_between(lon)",
    }


def test_no_feed_value_reaches_the_gx_stores_or_data_docs(settings):
    phone, payload = "13912345678", "<script>window.__pwned=1</script>"
    land(
        settings,
        "population",
        "2026-11-01",
        "p.csv",
        f"{HEADER}\nC1,2026-11-01,{phone},4,5\nC2,2026-11-01,1,{payload},5\n{payload},2026-11-01,1,2,3\n",
    )
    assert load(settings, "population")["quarantined"] == 3
    written = [
        p
        for root in (settings.gx_dir, settings.quality_dir)
        for p in root.rglob("*")
        if p.is_file()
    ]
    assert any(p.suffix == ".html" for p in written) and any(p.suffix == ".json" for p in written)
    for path in written:
        data = path.read_bytes()
        assert phone.encode() not in data and b"__pwned" not in data, path


# bounded memory: chunks as small as two rows give the same verdicts -------------------------
def test_teleports_duplicates_and_repeated_keys_are_judged_across_chunk_boundaries(settings):
    import dataclasses
    from datetime import datetime, timedelta

    import polars as pl

    small = dataclasses.replace(settings, ingest_batch_rows=2, validate_chunk_rows=2)
    start = datetime(2026, 11, 27, 8, 0, 0)
    fixes = [(start + timedelta(seconds=10 * i), 125.30 + 0.0001 * i, 43.90) for i in range(8)]
    fixes[3] = (fixes[3][0], 125.34, 43.94)  # a lone 5 km jump and back within 20 s
    frame = pl.DataFrame(
        {
            "device_id": ["D1"] * 8,
            "team_id": ["T1"] * 8,
            "station_id": ["S1"] * 8,
            "pinged_at": [at for at, _, _ in fixes],
            "lon": [lon for _, lon, _ in fixes],
            "lat": [lat for _, _, lat in fixes],
        }
    )
    folder = small.landing_partition("patrol_pings", AS_OF)
    folder.mkdir(parents=True)
    # the jump's neighbours are split over two files and several chunks; one fix is sent
    # twice, and one key comes again with other values
    repeat = frame.slice(4, 1).with_columns(pl.col("lon") + 0.000001)
    frame.slice(0, 3).write_parquet(folder / "a.parquet")
    pl.concat([frame.slice(3, 5), frame.slice(6, 1), repeat]).write_parquet(folder / "b.parquet")
    ingest_feed(small, "patrol_pings", AS_OF)
    validate_feed(small, "patrol_pings", AS_OF)
    with warehouse.connect(small) as con:
        quarantined = con.execute(
            "select file_path, line_number, rule, raw_record from quarantine "
            "where feed = 'patrol_pings' order by all"
        ).fetchall()
    rows = manifest(small, "patrol_pings")
    unique = "expect_compound_columns_to_be_unique(device_id,pinged_at)"
    assert [(path.rsplit("/", 1)[1], line, rule) for path, line, rule, _ in quarantined] == [
        ("b.parquet", 1, "expect_column_values_to_be_between(_implied_speed_kmh)"),
        ("b.parquet", 2, unique),  # the same key twice in one file, in different chunks
        ("b.parquet", 7, unique),
    ]
    assert '"lon":125.34' in quarantined[0][3]  # the raw record, read back from the Parquet
    # in ranges of validate_chunk_rows lines, each row's own record
    assert ['"device_id":"D1"' in record for *_, record in quarantined] == [True] * 3
    assert '"lon":125.3004,' in quarantined[1][3] and '"lon":125.3004,' not in quarantined[2][3]
    assert [r[1:] for r in rows] == [("validated", 3, 3, 0, 0), ("validated", 7, 3, 3, 1)]


def test_a_read_cut_short_is_read_again_whole(settings):
    land(settings, "population", "2026-11-01", "a.csv", f"{HEADER}\nC1,2026-11-01,1,2,3\n")
    path = str(settings.landing_partition("population", date(2026, 11, 1)) / "a.csv")
    with warehouse.connect(settings) as con:  # a batch committed, then the process died
        con.execute(
            "insert into raw_population (community_id, _file_path, _line_number) "
            "values ('C1', ?, 2)",
            [path],
        )
    assert ingest_feed(settings, "population", AS_OF)["rows_read"] == 1
    summary = validate_feed(settings, "population", AS_OF)
    assert (summary["rows"], summary["accepted"], summary["duplicate"]) == (1, 1, 0)
