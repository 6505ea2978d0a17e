-- macros: significance tests shared by the metric marts (DuckDB has no normal or Poisson CDF)
--
-- normal_upper_tail(z): P(Z > z) for a standard normal Z.
-- W. J. Cody's rational Chebyshev approximations (Cody 1969, "Rational Chebyshev approximations
-- for the error function", Math. Comp. 23; the ANORM routine of netlib SPECFUN, also used by R's
-- pnorm), in three ranges of y = |z|: y <= 0.66291, y <= sqrt(32), beyond. Cody gives about 1e-16
-- relative error in double precision; tests/transforms/test_hotspots.py checks the macros against
-- scipy.stats.norm to an absolute error below 1e-12 (the requirement is < 1e-7). The far tail
-- underflows to 0 beyond |z| of about 38, never an error. Null in, null out.

-- hornerN(x, a_N, ..., a_1, a_0): the polynomial a_N x^N + ... + a_1 x + a_0 at x, by Horner's
-- rule (each degree folds its top two coefficients into one and calls the degree below)
create or replace macro horner1(x, a1, a0) as a1 * x + a0;

create or replace macro horner2(x, a2, a1, a0) as
horner1(x, a2 * x + a1, a0)
;

create or replace macro horner3(x, a3, a2, a1, a0) as
horner2(x, a3 * x + a2, a1, a0)
;

create or replace macro horner4(x, a4, a3, a2, a1, a0) as
horner3(x, a4 * x + a3, a2, a1, a0)
;

create or replace macro horner5(x, a5, a4, a3, a2, a1, a0) as
horner4(x, a5 * x + a4, a3, a2, a1, a0)
;

create or replace macro horner6(x, a6, a5, a4, a3, a2, a1, a0) as
horner5(x, a6 * x + a5, a4, a3, a2, a1, a0)
;

create or replace macro horner7(x, a7, a6, a5, a4, a3, a2, a1, a0) as
horner6(x, a7 * x + a6, a5, a4, a3, a2, a1, a0)
;

create or replace macro horner8(x, a8, a7, a6, a5, a4, a3, a2, a1, a0) as
horner7(x, a8 * x + a7, a6, a5, a4, a3, a2, a1, a0)
;

-- 0.5 - P(0 < Z <= y), for 0 <= y <= 0.66291
create or replace macro normal_tail_small(y) as
0.5 - y * horner4(
    y * y,
    0.065682337918207449113, 2.2352520354606839287, 161.02823106855587881,
    1067.6894854603709582, 18154.981253343561249
) / horner4(
    y * y,
    1.0, 47.20258190468824187, 976.09855173777669322,
    10260.932208618978205, 45507.789335026729956
)
;

-- P(Z > y), for 0.66291 < y <= sqrt(32)
create or replace macro normal_tail_medium(y) as
exp(-0.5 * y * y) * horner8(
    y,
    1.0765576773720192317e-8, 0.39894151208813466764, 8.8831497943883759412,
    93.506656132177855979, 597.27027639480026226, 2494.5375852903726711,
    6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218
) / horner8(
    y,
    1.0, 22.266688044328115691, 235.38790178262499861,
    1519.377599407554805, 6485.558298266760755, 18615.571640885098091,
    34900.952721145977266, 38912.003286093271411, 19685.429676859990727
)
;

-- P(Z > y), for y > sqrt(32): 1 / sqrt(2 pi) = 0.3989..., less a rational function of 1 / y^2
create or replace macro normal_tail_large(y) as
exp(-0.5 * y * y) / y * (
    0.39894228040143267794
    - horner5(
        1.0 / (y * y),
        0.02307344176494017303, 0.21589853405795699, 0.1274011611602473639,
        0.022235277870649807, 0.001421619193227893466, 2.9112874951168792e-5
    ) / horner5(
        1.0 / (y * y),
        1.0, 1.28426009614491121, 0.468238212480865118,
        0.0659881378689285515, 0.00378239633202758244, 7.29751555083966205e-5
    ) / (y * y)
)
;

-- P(Z > y) for y >= 0
create or replace macro normal_upper_tail_abs(y) as
case
    when y <= 0.66291 then normal_tail_small(y)
    when y <= sqrt(32.0) then normal_tail_medium(y)
    else normal_tail_large(y)
end
;

-- P(Z > z), any z
create or replace macro normal_upper_tail(z) as
case when z >= 0 then normal_upper_tail_abs(z) else 1.0 - normal_upper_tail_abs(-z) end
;

-- normal_two_sided_p(z): P(|Z| >= |z|) = erfc(|z| / sqrt(2)), the two-sided p-value of a z-score
-- (least() and greatest() skip nulls, hence the explicit null case here and below)
create or replace macro normal_two_sided_p(z) as
case when z is not null then least(1.0, 2.0 * normal_upper_tail_abs(abs(z))) end
;

-- poisson_upper_p(observed, expected): P(X >= observed) for X ~ Poisson(expected), the one-sided
-- p-value of "more cases than expected". Summed exactly as 1 - sum_{k < observed} e^-E E^k / k!
-- (terms in log space with lgamma, so no factorial overflows); absolute error about
-- observed * 1e-16. By convention p = 1 when observed <= 0, and p = 0 when expected <= 0 and
-- observed > 0 (cases where none were expected). Null in, null out.
create or replace macro poisson_upper_p(observed, expected) as
case
    when observed is null or expected is null then null
    when observed <= 0 then 1.0
    when expected <= 0 then 0.0
    else greatest(
        0.0,
        1.0 - list_sum(list_transform(
            range(cast(observed as bigint)),
            lambda k: exp(k * ln(expected) - expected - lgamma(k + 1))
        ))
    )
end
;

-- poisson_z(observed, expected): 2 (sqrt(C) - sqrt(E)), the variance-stabilised difference of two
-- Poisson counts (approximately standard normal; |z| >= 2 reads as a real change)
create or replace macro poisson_z(observed, expected) as
case
    when observed is not null and expected is not null
        then 2.0 * (sqrt(greatest(observed, 0)) - sqrt(greatest(expected, 0)))
end
;

-- count_change_p(current, base, share): two-sided p of a count against the count of another
-- period under equal daily rates: given n = current + base, current ~ Binomial(n, share), share =
-- the current period's part of the two periods' total length (0.5 when they are equally long).
-- Exact for n <= 1000 (twice the smaller tail, at most 1), so a 1 -> 0 or 0 -> 2 change is never
-- significant; beyond, the normal approximation, which agrees closely there. p = 1 when n = 0
-- or share is 0 or 1. Null in, null out.
create or replace macro binomial_log_pmf(k, n, share) as
lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * ln(share) + (n - k) * ln(1 - share)
;

create or replace macro count_change_p(current_count, base_count, share) as
case
    when current_count is null or base_count is null or share is null then null
    when current_count + base_count = 0 or share <= 0 or share >= 1 then 1.0
    when current_count + base_count > 1000
        then normal_two_sided_p(
            (current_count - (current_count + base_count) * share)
            / sqrt((current_count + base_count) * share * (1 - share))
        )
    else least(1.0, 2.0 * least(
        list_sum(list_transform(
            range(0, cast(current_count as bigint) + 1),
            lambda k: exp(binomial_log_pmf(k, current_count + base_count, share))
        )),
        list_sum(list_transform(
            range(cast(current_count as bigint), cast(current_count + base_count as bigint) + 1),
            lambda k: exp(binomial_log_pmf(k, current_count + base_count, share))
        ))
    ))
end
;

-- count_change_flag(z, p, is_complete, threshold): the CompStat verdict on a count's change
-- (fewer cases is better), the one significance rule of every page: 'incomplete' while the
-- compared period is not wholly in the case history; 'up' / 'down' when |z| >= threshold (z the
-- poisson_z of the change) and p (count_change_p) is at most the two-sided level that matches
-- the threshold (0.0455 for 2); else 'flat'.
create or replace macro count_change_flag(z, p, is_complete, threshold) as
case
    when not coalesce(is_complete, false) then 'incomplete'
    when z is null or p is null or p > normal_two_sided_p(threshold) then 'flat'
    when z >= threshold then 'up'
    when z <= -threshold then 'down'
    else 'flat'
end
;
