"""Why a plan entry was chosen, said in the page's language from the mart's structured
columns."""

from __future__ import annotations

from reports.messages import Messages
from reports.sections import patrol_plan

MSG = Messages("zh-CN")


def test_plan_reason_is_built_in_the_pages_language():
    row = {
        "reason_codes": "hot_class_3;top_period_1;near_repeat_alert",
        "hot_class": 3,
        "gi_z": 4.2,
        "cases": 3,
        "period_rank": 1,
        "period_share": 0.12,
        "alert_categories": "burglary,theft",
        "alert_valid_until": None,
    }
    assert patrol_plan.plan_reason(row, MSG) == (
        "热点 99%（z = 4.2，近期 3 起）；高发时段第 1 位（占 12.0%）；"
        "近重复入室盗窃、盗窃预警（有效至 —）"
    )
    assert patrol_plan.plan_reason(row, Messages("en")).startswith(
        "Hot 99% (z = 4.2, 3 recent cases); "
    )
