-- table: load_manifest
-- grain: one row per landed file version (file_path, file_sha256) that was read
-- rows_read = rows_accepted + rows_quarantined + rows_duplicate once status is 'validated'
-- or 'rejected'.
create table if not exists load_manifest (
    -- ids
    feed varchar not null,
    partition_date date,
    file_path varchar not null,
    file_sha256 varchar not null,
    batch_id varchar not null,
    -- file facts
    file_format varchar,
    encoding varchar,
    file_bytes bigint,
    -- row accounting
    rows_read bigint not null,
    rows_accepted bigint,
    rows_quarantined bigint,
    rows_duplicate bigint,
    -- state: read -> validated | rejected; unreadable files are rejected at once
    status varchar not null,
    error varchar,
    -- timestamps
    loaded_at timestamp not null,
    validated_at timestamp,
    primary key (file_path, file_sha256)
)
;
