-- table: validation_results
-- grain: one row per as_of_date, feed, check ('rows' or 'health') and expectation, from the
-- latest GX checkpoint run of that check for the day
create table if not exists validation_results (
    as_of_date date not null,
    feed varchar not null,
    check_name varchar not null,
    rule varchar not null,
    severity varchar not null,
    success boolean not null,
    unexpected_count bigint,
    element_count bigint,
    notes varchar
)
;
