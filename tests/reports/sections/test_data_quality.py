"""The day's data-quality view from tiny system tables in DuckDB: a checked feed, a feed with
quarantined records but no status (not checked), a feed with nothing, and the quarantine rules
of the hotspot window only."""

from __future__ import annotations

import re
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


NOT_NULL = "expect_column_values_to_not_be_null(case_id)"
WINDOW = "expect_column_pair_values_a_to_be_greater_than_b(occurred_to,occurred_from)"
SHIFT = "expect_column_values_to_be_in_set(shift_id)"
PARSE = "expect_column_values_to_be_null(_parse_errors)"


def test_rules_show_their_label_first_and_the_gx_name_aside(tmp_path):
    from reports.quality_page import render_quality_page

    con = warehouse.open_connection(":memory:", Settings(home=tmp_path))
    for rule, success, notes in (
        (NOT_NULL, True, None),
        (WINDOW, False, "occurrence window runs forwards: occurred_from <= occurred_to"),
    ):
        con.execute(
            "insert into validation_results "
            "values (?, 'cases', 'rows', ?, 'warning', ?, ?, 120, ?)",
            [AS_OF, rule, success, 0 if success else 2, notes],
        )
    quarantined(con, "patrol_pings", AS_OF, SHIFT, 3)
    con.execute(
        "insert into quarantine (feed, partition_date, file_path, line_number, rule, all_rules, "
        "severity, raw_record, batch_id, quarantined_at, detail) "
        "values ('cases', ?, 'f.csv', 9, ?, ?, 'warning', '', 'b1', ?, ?)",
        [AS_OF, PARSE, PARSE, AT, "lon='13812345678'; reported_at='2026-13-45'"],
    )
    html = render_quality_page(AS_OF, MSG, read_quality(con, AS_OF, MSG), "index.html", AT)
    assert "案件编号不能为空" in html and "勤务编号在巡逻勤务中存在" in html
    for rule in (NOT_NULL, WINDOW, SHIFT, PARSE):  # the GX name only as the data engineers' detail
        shown = [m.start() for m in re.finditer(re.escape(rule), html)]
        detail = [m.start() for m in re.finditer(re.escape(f'<code class="gx">{rule}'), html)]
        assert shown and [s - len('<code class="gx">') for s in shown] == detail, rule
    assert "occurrence window runs forwards" not in html  # the English note, translated
    assert '<td class="nw ok">通过</td>' in html  # 通过 never breaks one character per line
    # one example of the values that failed a type rule, a mobile number in it masked
    assert "<code>lon=&#39;***********&#39;; reported_at=&#39;2026-13-45&#39;</code>" in html
    assert "13812345678" not in html and "取值符合列类型" in html
