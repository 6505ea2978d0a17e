-- table: route_manifest
-- grain: one row per landed file version (file_path, file_sha256) that was routed
-- rows_read = rows_unrouted + the sum of its route_shares; each bureau's share is then
-- accounted for in that bureau's load_manifest (accepted + quarantined + duplicate).
create table if not exists route_manifest (
    feed varchar not null,
    partition_date date,
    file_path varchar not null,
    file_sha256 varchar not null,
    file_format varchar,
    encoding varchar,
    file_bytes bigint,
    rows_read bigint not null,
    rows_unrouted bigint not null,
    -- 'routed', or 'rejected' (unreadable, or without the column it is routed by)
    status varchar not null,
    error varchar,
    routed_at timestamp not null,
    primary key (file_path, file_sha256)
)
;

-- table: route_shares
-- grain: one row per routed file version and bureau with rows in it
create table if not exists route_shares (
    file_path varchar not null,
    file_sha256 varchar not null,
    bureau_id varchar not null,
    rows_routed bigint not null,
    primary key (file_path, file_sha256, bureau_id)
)
;

-- table: route_stations
-- grain: one row per station named by a routed stations delivery: its bureau in the latest
create table if not exists route_stations (
    station_id varchar primary key,
    bureau_id varchar not null
)
;

-- table: route_communities
-- grain: one row per community named by a routed communities delivery: its station in the
-- latest
create table if not exists route_communities (
    community_id varchar primary key,
    station_id varchar not null
)
;

-- table: run_records
-- grain: one row per briefing date: its run record, HOME/runs/<date>/run.json
-- (reports/provenance.py)
create table if not exists run_records (
    briefing_date date primary key,
    generated_at timestamp not null,
    code_version varchar not null,
    record_sha256 varchar not null,
    inputs bigint not null,
    outputs bigint not null
)
;
