"""The CompStat significance rule in macros/statistics.sql, against scipy: count_change_p (the
exact conditional test of two counts) and count_change_flag (z and p together)."""

from __future__ import annotations

import math

import pytest
from scipy import stats


def smaller_tail_p(current: int, base: int, share: float) -> float:
    """Twice the smaller binomial tail of `current` given n = current + base, at most 1."""
    n = current + base
    lower = stats.binom.cdf(current, n, share)
    upper = stats.binom.sf(current - 1, n, share)
    return min(1.0, 2 * min(lower, upper))


def p_of(tiny, current, base, share=0.5) -> float:
    return tiny.rows("select count_change_p(?, ?, ?)", [current, base, share])[0][0]


@pytest.mark.parametrize(
    ("current", "base", "share"),
    [(0, 6, 0.5), (3, 3, 0.5), (5, 1, 0.5), (14, 2, 0.5), (30, 10, 0.5), (275, 237, 0.5)]
    + [(12, 20, 69 / 137), (7, 1, 28 / 57), (900, 99, 0.5), (0, 1, 0.5)],
)
def test_count_change_p_is_the_exact_binomial_test(tiny, current, base, share):
    assert p_of(tiny, current, base, share) == pytest.approx(
        smaller_tail_p(current, base, share), rel=1e-9, abs=1e-15
    )


def test_count_change_p_edges_and_the_normal_approximation(tiny):
    assert p_of(tiny, 0, 0) == 1.0
    assert p_of(tiny, None, 3) is None
    # beyond 1,000 cases the normal approximation: erfc(|d| / sqrt(2 n s (1 - s)))
    assert p_of(tiny, 1100, 900) == pytest.approx(math.erfc(100 / math.sqrt(1000)), rel=1e-9)
    # (no continuity correction: within 10% of the exact p even this far out, p ~ 1e-5)
    assert p_of(tiny, 1100, 900) == pytest.approx(smaller_tail_p(1100, 900, 0.5), rel=0.1)


@pytest.mark.parametrize(
    ("current", "base", "flag"),
    [
        (0, 1, "flat"),  # z = -2.0, but one case to none is noise
        (2, 0, "flat"),  # z = +2.8, and still noise: p = 0.5
        (0, 8, "down"),  # p = 0.008
        (30, 10, "up"),
        (275, 237, "flat"),  # z = +2.4 on the square roots, yet p = 0.10: two noisy counts
        (400, 300, "up"),
    ],
)
def test_a_flag_needs_both_z_and_the_exact_test(tiny, current, base, flag):
    got = tiny.rows(
        "select count_change_flag(poisson_z($c, $b), count_change_p($c, $b, 0.5), true, 2.0)",
        {"c": current, "b": base},
    )
    assert got == [(flag,)]


def test_an_incomplete_period_gets_no_verdict(tiny):
    got = tiny.rows(
        "select count_change_flag(5.0, 0.0, false, 2.0), count_change_flag(5.0, 0.0, null, 2.0)"
    )
    assert got == [("incomplete", "incomplete")]
