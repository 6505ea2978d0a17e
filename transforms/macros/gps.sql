-- macros: the GPS jump ("teleport") rule, one definition for the feed's validation
-- (expectations/batch.py, the _implied_speed_kmh column GX checks) and for the patrol models
-- (int_patrol_pings, which drops jumps among the accepted fixes of a day and its neighbours).
--
-- implied_speed_kmh(dx_m, dy_m, seconds): the speed (km/h) of a straight move of dx, dy metres
-- in `seconds` (the absolute time between two fixes). Two fixes in the same instant are
-- infinitely fast apart when more than 1 m apart, else still (0). Null when either fix is
-- missing (a device's first or last fix).
create or replace macro implied_speed_kmh(dx_m, dy_m, seconds) as
case
    when dx_m is null or dy_m is null or seconds is null then null
    when seconds > 0 then sqrt(dx_m ^ 2 + dy_m ^ 2) / seconds * 3.6
    when dx_m ^ 2 + dy_m ^ 2 > 1 then 'inf'::double
    else 0.0
end
;

-- gps_fix_speed_kmh(from_previous_kmh, to_next_kmh): how fast a fix is, for the jump rule: the
-- smaller of the implied speeds from its device's previous fix and to its next. A lone jump away
-- and back is fast both ways, a real fast drive is not; a fix with one neighbour only (a
-- device's first or last) counts 0, as it cannot be judged. A fix is a jump when this exceeds
-- the setting ping_max_speed_kmh.
create or replace macro gps_fix_speed_kmh(from_previous_kmh, to_next_kmh) as
least(coalesce(from_previous_kmh, 0.0), coalesce(to_next_kmh, 0.0))
;
