"""The commander view: graceful degradation on a short history, and the whole page on the
county with every chart, the league, emerging hotspots and the drill-down links."""

from __future__ import annotations

from datetime import date

from reports import trends
from reports.messages import Messages
from tests.reports.county import END, copy_county

MSG = Messages("zh-CN")


def test_a_short_history_is_said_and_a_long_one_is_not():
    assert "2026-01-01" in trends.history_note(date(2026, 1, 1), date(2026, 11, 27), MSG)
    assert trends.history_note(date(2023, 1, 1), date(2026, 11, 27), MSG) is None
    assert trends.history_note(None, date(2026, 11, 27), MSG)


def test_the_commander_view_on_the_county(tmp_path):
    from reports.publish import publish_briefing

    settings = copy_county(tmp_path)
    publish_briefing(settings, END)
    page = trends.publish_trends(settings, END)
    assert page == settings.home / "trends" / END.isoformat() / "index.html"
    html = page.read_text(encoding="utf-8")
    for marker in (
        'id="fig-trend-13m"',
        'id="fig-trend-3y"',
        'id="league"',
        'id="emerging"',
        'id="history-note"',
        'id="drilldown"',
    ):
        assert marker in html, marker
    # drill-down: every station of the league links to its briefing of the day
    assert html.count(f'href="../../briefings/{END.isoformat()}/') >= 12
    site = (settings.home / "index.html").read_text(encoding="utf-8")
    assert f'href="trends/{END.isoformat()}/index.html"' in site
