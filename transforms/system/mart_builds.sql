-- table: mart_builds
-- grain: one row per as_of_date whose marts exist: the last delivery date (loaded_through)
-- their inputs included. A late-arriving case for that date triggers a rebuild.
create table if not exists mart_builds (
    as_of_date date primary key,
    loaded_through date not null
)
;
