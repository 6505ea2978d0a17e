-- macros: coordinate helpers shared by the staging models
-- gcj02_to_wgs84_lon / _lat: GCJ-02 ("Mars coordinates") back to WGS-84 by one fixed-point
-- step of the published forward transform (Krasovsky ellipsoid); the residual is about 1 m,
-- far below a 250 m grid cell. Outside China GCJ-02 equals WGS-84.
create or replace macro gcj02_delta_lat(x, y) as
-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
+ (20.0 * sin(6.0 * x * pi()) + 20.0 * sin(2.0 * x * pi())) * 2.0 / 3.0
+ (20.0 * sin(y * pi()) + 40.0 * sin(y / 3.0 * pi())) * 2.0 / 3.0
+ (160.0 * sin(y / 12.0 * pi()) + 320.0 * sin(y * pi() / 30.0)) * 2.0 / 3.0
;

create or replace macro gcj02_delta_lon(x, y) as
300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
+ (20.0 * sin(6.0 * x * pi()) + 20.0 * sin(2.0 * x * pi())) * 2.0 / 3.0
+ (20.0 * sin(x * pi()) + 40.0 * sin(x / 3.0 * pi())) * 2.0 / 3.0
+ (150.0 * sin(x / 12.0 * pi()) + 300.0 * sin(x / 30.0 * pi())) * 2.0 / 3.0
;

-- the forward shift (GCJ-02 minus WGS-84) at a point, in degrees
create or replace macro gcj02_shift_lat(lon, lat) as
(gcj02_delta_lat(lon - 105.0, lat - 35.0) * 180.0)
/ (
    (6378245.0 * (1 - 0.00669342162296594323))
    / (
        (1 - 0.00669342162296594323 * sin(radians(lat)) ^ 2)
        * sqrt(1 - 0.00669342162296594323 * sin(radians(lat)) ^ 2)
    ) * pi()
)
;

create or replace macro gcj02_shift_lon(lon, lat) as
(gcj02_delta_lon(lon - 105.0, lat - 35.0) * 180.0)
/ (
    6378245.0 / sqrt(1 - 0.00669342162296594323 * sin(radians(lat)) ^ 2)
    * cos(radians(lat)) * pi()
)
;

create or replace macro to_wgs84_lon(lon, lat, coord_system) as
case when coord_system = 'GCJ02' then lon - gcj02_shift_lon(lon, lat) else lon end
;

create or replace macro to_wgs84_lat(lon, lat, coord_system) as
case when coord_system = 'GCJ02' then lat - gcj02_shift_lat(lon, lat) else lat end
;
