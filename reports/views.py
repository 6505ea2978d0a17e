"""Formatting shared by every section: numbers, dashes, and the marts' verdicts as symbols.

Plain functions of values and labels; no I/O, no HTML, no statistic (the marts compute those,
the sections choose rows; reports/sections/). Labels come from the message catalogue; Jinja
escapes every string when the template prints it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.messages import Messages

# A percent change is shown only when its base has at least this many cases: below it, one or
# two cases swing the percentage wildly (3 -> 5 is +67% but z = 1.0), so the page shows the
# counts, the Poisson z and its flag instead.
MIN_BASE_FOR_PERCENT = 20
DASH = "—"


@dataclass(frozen=True)
class Flag:
    """A change's verdict: symbol, CSS class and a tooltip."""

    symbol: str
    css: str
    title: str


def fmt_int(value) -> str:
    """A count, or a dash for a missing one."""
    return DASH if value is None else f"{int(value):,}"


def fmt_num(value, digits: int = 1) -> str:
    """A decimal number, or a dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return f"{value:,.{digits}f}"


def fmt_pct(share, digits: int = 1) -> str:
    """A share (0.25) as a percentage (25.0%), or a dash."""
    if share is None or (isinstance(share, float) and not math.isfinite(share)):
        return DASH
    return f"{100 * share:.{digits}f}%"


def fmt_z(z) -> str:
    """A z score with its sign."""
    return DASH if z is None or not math.isfinite(z) else f"{z:+.1f}"


# the marts' verdict codes (macros/statistics.sql count_change_flag, mart_kpis) as shown
COUNT_FLAGS = {
    "up": ("▲", "flag up"),
    "down": ("▼", "flag down"),
    "flat": ("·", "flag flat"),
    "incomplete": ("?", "flag na"),
}
RATE_FLAGS = {
    "better": ("↑", "flag better"),
    "worse": ("↓", "flag worse"),
    "no_previous": ("?", "flag na"),
}


def count_flag(code: str | None, msg: Messages) -> Flag:
    """A count's verdict from its mart (fewer cases is better): ▲ significant rise, ▼
    significant fall, · ordinary noise, ? comparison period not wholly in the case history."""
    code = code or "incomplete"
    symbol, css = COUNT_FLAGS[code]
    return Flag(symbol, css, msg.t("flag", code))


def rate_flag(code: str | None, msg: Messages) -> Flag:
    """A rate's verdict from its mart (higher is better): the change's direction."""
    code = code or "no_previous"
    symbol, css = RATE_FLAGS[code]
    return Flag(symbol, css, msg.t("flag", code))


def meets_flag(meets, msg: Messages) -> Flag:
    """✓ / ✗ / — for a norm."""
    if meets is None:
        return Flag(DASH, "flag na", msg.t("flag", "no_figure"))
    if meets:
        return Flag("✓", "flag better", msg.t("flag", "meets"))
    return Flag("✗", "flag worse", msg.t("flag", "fails"))


def comparison(current: int, base, z, pct, flag: str | None, complete: bool, msg) -> dict:
    """One comparison of a count as its mart judged it: base count, z, flag and the percent
    change (shown for large bases only)."""
    if base is None:
        return {
            "base": DASH,
            "z": "",
            "flag": count_flag("incomplete", msg),
            "pct": None,
            "z_value": None,
            "complete": False,
        }
    return {
        "base": fmt_int(base),
        "z": fmt_z(z) if complete else "",
        "flag": count_flag(flag, msg),
        "pct": f"{pct:+.0f}%"
        if complete and pct is not None and base >= MIN_BASE_FOR_PERCENT
        else None,
        "z_value": z,
        "complete": complete,
    }


def period_label(weekday: int, start: int, end: int, msg: Messages) -> str:
    """'周二 18–21时' / 'Tue 18–21h'."""
    return msg.t("text", "period").format(
        weekday=msg.label("weekday", weekday), start=start, end=end
    )
