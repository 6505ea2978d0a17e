"""Formatting shared by the sections: a comparison shows the mart's count, z, flag and
percent change (percentages only on large bases), and computes none."""

from __future__ import annotations

import pytest

from reports import views
from reports.messages import Messages

MSG = Messages("zh-CN")


@pytest.mark.parametrize(
    ("flag", "symbol", "css"),
    [("up", "▲", "flag up"), ("down", "▼", "flag down"), ("flat", "·", "flag flat")]
    + [("incomplete", "?", "flag na")],
)
def test_a_cell_shows_the_marts_verdict(flag, symbol, css):
    cell = views.comparison(30, 10, 2.31, 200.0, flag, True, MSG)
    assert (cell["flag"].symbol, cell["flag"].css) == (symbol, css)
    assert cell["z"] == "+2.3" and cell["base"] == "10"


def test_percentages_only_on_large_bases_and_incomplete_periods_are_marked():
    assert views.comparison(5, 3, 1.0, 66.7, "flat", True, MSG)["pct"] is None
    assert views.comparison(25, 20, 0.5, 25.0, "flat", True, MSG)["pct"] == "+25%"
    incomplete = views.comparison(900, 100, 40.0, 800.0, "incomplete", False, MSG)
    assert incomplete["flag"].symbol == "?" and incomplete["z"] == "" and incomplete["pct"] is None


def test_numbers_and_missing_values():
    assert (views.fmt_int(1234), views.fmt_int(None)) == ("1,234", "—")
    assert (views.fmt_pct(0.125), views.fmt_pct(float("nan"))) == ("12.5%", "—")
    assert (views.fmt_z(1.96), views.fmt_num(None)) == ("+2.0", "—")
    assert views.period_label(2, 18, 21, MSG) == "周二 18–21时"
