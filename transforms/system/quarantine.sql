-- table: quarantine
-- grain: one row per rejected record (a record failing several rules is listed once,
-- with the first rule in `rule` and all of them in `all_rules`); `detail` names the columns
-- whose text did not parse or was not a finite number, with that text (personal data masked)
create table if not exists quarantine (
    feed varchar not null,
    partition_date date,
    file_path varchar not null,
    line_number bigint,
    rule varchar not null,
    all_rules varchar not null,
    severity varchar not null,
    raw_record varchar,
    batch_id varchar not null,
    quarantined_at timestamp not null
)
;

alter table quarantine add column if not exists detail varchar;
