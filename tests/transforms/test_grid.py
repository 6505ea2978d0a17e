"""The hotspot grid: bureau frames, every cell with its community and station, cases to cells."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from tests.transforms.conftest import STATIONS, case

R = 6371008.8  # mean Earth radius, metres
CELL = 250.0
LON0, LAT0 = 125.30, 43.90
AS_OF = date(2026, 3, 10)


@dataclass(frozen=True)
class Box:
    """A bureau B1 whose two stations sit on the SW and NE corners of a box of metres."""

    width_m: float
    height_m: float

    @property
    def projection_lat(self) -> float:
        return LAT0 + math.degrees(self.height_m / R) / 2

    def lon_at(self, x_m: float) -> float:
        """Longitude x_m metres east of the box's west edge."""
        return LON0 + math.degrees(x_m / (R * math.cos(math.radians(self.projection_lat))))

    def lat_at(self, y_m: float) -> float:
        """Latitude y_m metres north of the box's south edge."""
        return LAT0 + math.degrees(y_m / R)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid: the box's cells plus one padding cell on each side."""
        return math.ceil(self.height_m / CELL) + 2, math.ceil(self.width_m / CELL) + 2

    def cell_point(self, cell_x: int, cell_y: int) -> tuple[float, float]:
        """lon, lat of a cell's centre (the grid's origin is one cell south-west of the box)."""
        return self.lon_at((cell_x - 0.5) * CELL), self.lat_at((cell_y - 0.5) * CELL)

    def stations(self) -> list[dict]:
        return [
            {**STATIONS[0], "lon": LON0, "lat": LAT0},
            {**STATIONS[1], "lon": self.lon_at(self.width_m), "lat": self.lat_at(self.height_m)},
        ]

    def case_in(self, case_id: str, cell_x: int, cell_y: int, reported_at: str, **fields) -> dict:
        lon, lat = self.cell_point(cell_x, cell_y)
        return case(case_id, reported_at, lon=lon, lat=lat, **fields)


def community(community_id: str, station_id: str, lon: float, lat: float, **fields) -> dict:
    """A minimal accepted community record."""
    row = {
        "community_id": community_id,
        "community_name": community_id,
        "station_id": station_id,
        "area_type": "urban",
        "lon": lon,
        "lat": lat,
        "radius_m": 0.0,
        "has_police_office": True,
        "office_officer_count": 1,
        "is_complex_central_village": False,
        "is_former_township_seat": False,
        "is_remote": False,
    }
    row.update(fields)
    return row


def test_frame_of_the_fixture_stations(tiny):
    # stations 0.05 deg of longitude and 0.02 deg of latitude apart at 43.9 N:
    # 4005.4 m x 2223.9 m -> 17 x 9 cells of the extent, 19 x 11 with the padding
    tiny.add("stations", STATIONS)
    tiny.build(AS_OF, upto="int_bureau_frames")
    [(n_cols, n_rows, n_cells, lat_c, width, height)] = tiny.rows(
        "select n_cols, n_rows, n_cells, projection_lat, extent_width_m, extent_height_m "
        "from int_bureau_frames where bureau_id = 'B1'"
    )
    assert (n_cols, n_rows, n_cells) == (19, 11, 209)
    assert lat_c == pytest.approx(43.91, abs=1e-12)
    assert width == pytest.approx(4005.414, abs=1e-3)
    assert height == pytest.approx(2223.902, abs=1e-3)


def test_frame_origin_is_one_cell_south_west_of_the_extent(tiny):
    box = Box(625.0, 375.0)  # 2.5 x 1.5 cells -> 3 x 2 cells, 5 x 4 with the padding
    tiny.add("stations", box.stations())
    tiny.build(AS_OF, upto="int_bureau_frames")
    [(origin_lon, origin_lat, lat_c, n_cols, n_rows)] = tiny.rows(
        "select origin_lon, origin_lat, projection_lat, n_cols, n_rows from int_bureau_frames"
    )
    assert (n_rows, n_cols) == box.shape == (4, 5)
    assert lat_c == pytest.approx(box.projection_lat, abs=1e-12)
    assert origin_lon == pytest.approx(box.lon_at(-CELL), abs=1e-12)
    assert origin_lat == pytest.approx(box.lat_at(-CELL), abs=1e-12)


def test_every_cell_is_present_with_its_centre(tiny):
    box = Box(625.0, 375.0)
    tiny.add("stations", box.stations())
    tiny.build(AS_OF, upto="int_grid_cells")
    rows = tiny.rows("select cell_x, cell_y, cell_id, center_lon, center_lat from int_grid_cells")
    assert sorted((x, y) for x, y, *_ in rows) == [(x, y) for x in range(5) for y in range(4)]
    ids = {cell_id for _, _, cell_id, *_ in rows}
    assert len(ids) == 20 and "B1:3:2" in ids
    centre = {(x, y): (lon, lat) for x, y, _, lon, lat in rows}
    for cell in [(0, 0), (2, 1), (4, 3)]:
        assert centre[cell] == pytest.approx(box.cell_point(*cell), abs=1e-10)


def test_community_radius_and_road_segments_widen_the_extent(tiny):
    box = Box(625.0, 375.0)
    tiny.add("stations", box.stations())
    # a community at the SW corner reaching 400 m out: 400 + 625 m wide, 800 m tall
    tiny.add("communities", [community("C1", "S1", LON0, LAT0, radius_m=400.0)])
    # a road reaching 1,300 m east of the box's west edge, along its south edge
    tiny.add(
        "road_segments",
        [
            {
                "road_segment_id": "R1",
                "road_name": "人民路",
                "segment_name": "人民路(一—二)",
                "station_id": "S2",
                "from_lon": LON0,
                "from_lat": LAT0,
                "to_lon": box.lon_at(1300.0),
                "to_lat": LAT0,
                "length_m": 1300.0,
            }
        ],
    )
    tiny.build(AS_OF, upto="int_bureau_frames")
    [(n_cols, n_rows, origin_lat, width)] = tiny.rows(
        "select n_cols, n_rows, origin_lat, extent_width_m from int_bureau_frames"
    )
    # width: 400 m west of the box (a shade less in the projection, the community lying south
    # of the middle parallel) + 1,300 m east = 1,700 m -> 7 cells, 9 with padding
    assert width == pytest.approx(1700.0, abs=0.1)
    assert (n_cols, n_rows) == (9, 6)  # height 800 m -> 4 cells, 6 with padding
    assert origin_lat == pytest.approx(LAT0 - math.degrees((400.0 + CELL) / R), abs=1e-12)


def test_each_cell_gets_its_nearest_community_and_that_communitys_station(tiny):
    box = Box(6000.0, 5000.0)  # some 28 x 24 cells: several 8 x 8 search blocks
    rng = np.random.default_rng(7)
    xs, ys = rng.uniform(-500, 6500, 25), rng.uniform(-500, 5500, 25)
    tiny.add("stations", box.stations())
    tiny.add(
        "communities",
        [
            community(f"C{i:02d}", "S1" if i % 2 else "S2", box.lon_at(x), box.lat_at(y))
            for i, (x, y) in enumerate(zip(xs, ys, strict=True))
        ],
    )
    tiny.build(AS_OF, upto="int_grid_cells")
    [(origin_lon, origin_lat, lat_c, n_cols, n_rows)] = tiny.rows(
        "select origin_lon, origin_lat, projection_lat, n_cols, n_rows from int_bureau_frames"
    )
    got = tiny.frame(
        "select cell_x, cell_y, community_id, station_id, community_distance_m "
        "from int_grid_cells order by cell_y, cell_x"
    )
    assert n_cols > 24 and n_rows > 16 and got.height == n_cols * n_rows
    # brute force: every cell centre against every community, in the bureau's projection
    cx = (got["cell_x"].to_numpy() + 0.5) * CELL
    cy = (got["cell_y"].to_numpy() + 0.5) * CELL
    lons = np.array([box.lon_at(x) for x in xs])
    lats = np.array([box.lat_at(y) for y in ys])
    px = R * math.cos(math.radians(lat_c)) * np.radians(lons - origin_lon)
    py = R * np.radians(lats - origin_lat)
    d2 = (cx[:, None] - px[None, :]) ** 2 + (cy[:, None] - py[None, :]) ** 2
    nearest = d2.argmin(axis=1)
    assert got["community_id"].to_list() == [f"C{i:02d}" for i in nearest]
    assert got["station_id"].to_list() == ["S1" if i % 2 else "S2" for i in nearest]
    np.testing.assert_allclose(got["community_distance_m"].to_numpy(), np.sqrt(d2.min(axis=1)))


def test_without_communities_a_cell_gets_its_nearest_station(tiny):
    box = Box(625.0, 375.0)
    tiny.add("stations", box.stations())
    tiny.build(AS_OF, upto="int_grid_cells")
    station = dict(
        ((x, y), s)
        for x, y, s, c in tiny.rows(
            "select cell_x, cell_y, station_id, community_id from int_grid_cells"
        )
        if c is None
    )
    assert len(station) == 20
    # S1 is on the grid point (1, 1) cells from the origin, S2 at (3.5, 2.5) cells
    assert station[(0, 0)] == station[(1, 1)] == station[(2, 0)] == "S1"
    assert station[(4, 3)] == station[(3, 2)] == station[(2, 3)] == "S2"


def test_cases_are_placed_in_cells_and_the_rest_is_accounted_for(tiny):
    box = Box(625.0, 375.0)
    tiny.add(
        "stations",
        [*box.stations(), {**STATIONS[0], "station_id": "S9", "bureau_id": "B2", "lon": 126.0}],
    )
    tiny.add(
        "cases",
        [
            box.case_in("K1", 2, 1, "2026-03-10 08:00:00"),
            box.case_in("K2", 0, 0, "2026-03-10 08:00:00", station_id="S2"),
            box.case_in("K3", 4, 3, "2026-03-09 08:00:00"),
            # just outside the padded grid: 1.1 cells west of the box's west edge
            case("K4", "2026-03-10 08:00:00", lon=box.lon_at(-1.1 * CELL), lat=LAT0),
            case("K5", "2026-03-10 08:00:00", lon=None, lat=None),
            case("K6", "2026-03-10 08:00:00", station_id="S404"),
            # a B1 location reported by B2's station: outside B2's grid
            box.case_in("K7", 2, 1, "2026-03-10 08:00:00", station_id="S9"),
        ],
    )
    tiny.build(AS_OF)
    got = {
        row[0]: row[1:]
        for row in tiny.rows(
            "select case_id, bureau_id, cell_x, cell_y, cell_id, location_status "
            "from int_case_cells"
        )
    }
    assert got == {
        "K1": ("B1", 2, 1, "B1:2:1", "in_grid"),
        "K2": ("B1", 0, 0, "B1:0:0", "in_grid"),
        "K3": ("B1", 4, 3, "B1:4:3", "in_grid"),
        "K4": ("B1", None, None, None, "outside_grid"),
        "K5": ("B1", None, None, None, "no_coordinates"),
        "K6": (None, None, None, None, "no_grid"),
        "K7": ("B2", None, None, None, "outside_grid"),
    }
    # the hotspot mart counts what it could not place, on every row of the bureau
    assert tiny.rows(
        "select distinct bureau_id, bureau_cases_in_grid, bureau_cases_outside_grid, "
        "bureau_cases_without_coordinates from mart_hotspot_cells order by bureau_id"
    ) == [("B1", 3, 1, 1), ("B2", 0, 1, 0)]
