"""A station against the norms, unknown values shown as dashes, and the norms met that the
league tables show."""

from __future__ import annotations

from reports.messages import Messages
from reports.sections import scorecard

MSG = Messages("zh-CN")


def test_norms_and_unknown_values():
    row = {
        "officer_count": 8,
        "officer_norm": 10,
        "meets_officer_norm": False,
        "bureau_force_share": 0.45,
        "force_share_norm": 0.4,
        "meets_force_share_norm": True,
        "residents_per_community_officer": None,
        "meets_residents_norm": None,
        "office_coverage_pct": 100.0,
        "meets_office_coverage_norm": True,
        "must_build_lacking_office": 0,
        "meets_must_build_norm": True,
    }
    norms, _ = scorecard.scorecard_rows(row, MSG)
    assert [(n["value"], n["norm"], n["flag"].symbol) for n in norms] == [
        ("8", "10", "✗"),
        ("45.0%", "40.0%", "✓"),
        ("—", "城区约5000人/农村按设置", "—"),
        ("100.0%", "100%", "✓"),
        ("0", "0", "✓"),
    ]
    met = scorecard.norms_met(row, MSG)
    assert met["text"] == "3/4" and met["failed"] == "派出所民警数"
