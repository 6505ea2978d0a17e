"""The day's data-quality view from tiny system tables in DuckDB: a checked feed, a feed with
quarantined records but no status (not checked), a feed with nothing, and the quarantine rules
of the hotspot window only."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from reports.messages import Messages
from reports.sections.data_quality import read_quality
from transforms import warehouse

MSG = Messages("zh-CN")
AS_OF = date(2026, 11, 27)
AT = datetime(2026, 11, 27, 6, 0)


def quarantined(con, feed: str, partition: date, rule: str, n: int) -> None:
    for line in range(n):
        con.execute(
            "insert into quarantine (feed, partition_date, file_path, line_number, rule, "
            "all_rules, severity, raw_record, batch_id, quarantined_at) "
            "values (?, ?, 'f.csv', ?, ?, ?, 'error', '', 'b1', ?)",
            [feed, partition, line, rule, rule, AT],
        )


def test_the_days_view_of_every_feed(tmp_path):
    con = warehouse.open_connection(":memory:", Settings(home=tmp_path))
    con.execute(
        "insert into feed_status (as_of_date, feed, status, problems, rows_today, "
        "trailing_median_rows, latest_partition, days_since_latest_partition) "
        "values (?, 'cases', 'ok', null, 120, 98.25, ?, 0)",
        [AS_OF, AS_OF],
    )
    for k, partition in enumerate((AS_OF - timedelta(days=1), AS_OF, AS_OF + timedelta(days=1))):
        con.execute(
            "insert into load_manifest (feed, partition_date, file_path, file_sha256, batch_id, "
            "rows_read, rows_accepted, rows_quarantined, rows_duplicate, status, loaded_at) "
            "values ('cases', ?, ?, 'sha', 'b1', 10, 8, 1, 1, 'validated', ?)",
            [partition, f"cases-{k}.csv", AT],
        )
    con.execute(
        "insert into validation_results values (?, 'cases', 'rows', 'case_id_unique', 'error', "
        "true, 0, 120, null)",
        [AS_OF],
    )
    quarantined(con, "cases", AS_OF, "bad_time", 2)
    quarantined(con, "stations", AS_OF, "bad_id", 1)
    quarantined(con, "stations", AS_OF - timedelta(days=28), "old_rule", 5)  # outside 28 days

    view = read_quality(con, AS_OF, MSG, window_days=28)
    feeds = {f["feed"]: f for f in view.feeds}
    assert list(feeds) == list(FEED_NAMES)
    cases = feeds["cases"]
    assert (cases["status"], cases["rows_today"], cases["rows_expected"]) == ("ok", 120, 98.2)
    assert (cases["quarantined_today"], cases["files"], cases["rows_read"]) == (2, 2, 20)
    assert cases["latest_partition"] == AS_OF and cases["days_old"] == 0
    assert [r["rule"] for r in cases["results"]] == ["case_id_unique"]
    stations = feeds["stations"]
    assert (stations["status"], stations["rows_today"], stations["quarantined_today"]) == (
        "not_checked",
        "—",
        1,
    )
    assert stations["files"] == 0 and stations["results"] == []
    assert [(r["rule"], r["rows"]) for r in view.rules] == [("bad_time", 2), ("bad_id", 1)]
    assert view.feed_ok("cases") and not view.feed_ok("stations")
    assert {f["feed"] for f in view.failed} == set(FEED_NAMES) - {"cases"}
