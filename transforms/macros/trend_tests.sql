-- macros: the Mann-Kendall trend test of a short series held as a list (oldest value first)
-- (this file loads after statistics.sql, whose normal_two_sided_p it uses: macro files load
-- in name order)
--
-- For a series x_1 .. x_n without nulls (drop them first, e.g. with list(v order by t) filter
-- (where v is not null), and pass a column rather than an expression: the macros index the list
-- directly, which keeps them fast):
--   S      = sum_{i < j} sign(x_j - x_i)
--   var(S) = (n (n - 1) (2n + 5) - sum_t t (t - 1) (2t + 5)) / 18
--            where t runs over the sizes of the groups of tied (equal) values
--   Z      = (S - 1) / sqrt(var(S)) when S > 0, (S + 1) / sqrt(var(S)) when S < 0, 0 when S = 0
--            (the continuity correction); null when var(S) = 0 (fewer than 2 values, or all
--            equal)
--   p      = the two-sided p-value of Z under the standard normal.
-- Ties compare values exactly. An n-point series costs n (n - 1) / 2 comparisons (66 for 12
-- weeks), done in vectorised list lambdas.

-- S = sum over pairs i < j of sign(x_j - x_i); 0 for fewer than two values
create or replace macro mann_kendall_s(x) as
coalesce(cast(list_sum(list_transform(
    range(1, len(x)),
    lambda i: list_sum(list_transform(
        range(i + 1, len(x) + 1),
        lambda j: cast(sign(x[j] - x[i]) as integer)
    ))
)) as bigint), 0)
;

-- the sizes t of the groups of equal values (1 for a value that occurs once)
create or replace macro mann_kendall_tie_sizes(x) as
list_transform(list_distinct(x), lambda d: len(list_filter(x, lambda v: v = d)))
;

-- var(S) with the tie correction (skipped when all values differ, the usual case)
create or replace macro mann_kendall_var(x) as
(
    len(x) * (len(x) - 1) * (2 * len(x) + 5)
    - case
        when len(list_distinct(x)) = len(x) then 0
        else list_sum(list_transform(
            mann_kendall_tie_sizes(x), lambda t: t * (t - 1) * (2 * t + 5)
        ))
    end
) / 18.0
;

-- Z from S and var(S), with the continuity correction
create or replace macro mann_kendall_z(s, var_s) as
case
    when var_s is null or var_s <= 0 then null
    when s > 0 then (s - 1) / sqrt(var_s)
    when s < 0 then (s + 1) / sqrt(var_s)
    else 0.0
end
;

-- the two-sided p-value of the trend
create or replace macro mann_kendall_p(s, var_s) as
normal_two_sided_p(mann_kendall_z(s, var_s))
;
