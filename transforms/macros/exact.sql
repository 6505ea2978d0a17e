-- macros: aggregates whose result does not depend on the order DuckDB adds rows in.
-- DuckDB sums floating-point values in whatever order its (parallel) hash aggregates meet
-- them, so the last bits of a sum differ from run to run. The marts must be identical for the
-- same inputs (and their ranks must not flip on ties), so sums of fractional values go
-- through DECIMAL(38, 12), whose sum is exact; each term is rounded to 1e-12 first.
create or replace macro exact_sum(x) as
cast(sum(cast(x as decimal(38, 12))) as double)
;

create or replace macro exact_avg(x) as
cast(sum(cast(x as decimal(38, 12))) as double) / nullif(count(x), 0)
;

-- population standard deviation of an integer column from exact integer sums
-- (stddev_pop's streaming algorithm is order-dependent in the last bits)
create or replace macro integer_stddev_pop(x) as
sqrt(greatest(
    0.0,
    cast(sum(cast(x as hugeint) * x) as double) / count(x)
    - (cast(sum(x) as double) / count(x)) ^ 2
))
;
