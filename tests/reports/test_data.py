"""A query gets exactly the parameters its SQL names, and a missing mart gives an empty frame;
the hotspot map's query recovers each bureau's lattice from its cell centres."""

from __future__ import annotations

from datetime import date

import duckdb

from reports import data

AS_OF = date(2026, 11, 27)


def test_a_query_gets_only_the_parameters_it_names():
    assert data.query_parameters("segments_places") == {"as_of_date", "top_n"}
    assert data.query_parameters("stations") == frozenset()  # none, not even in its comments
    values = {"as_of_date": AS_OF, "top_n": 10, "start_date": AS_OF}
    assert data.bind("compstat", values) == {"as_of_date": AS_OF}
    assert data.bind("stations", values) is None


def test_a_missing_mart_gives_an_empty_frame():
    frame = data.run_query(duckdb.connect(), "compstat", {"as_of_date": AS_OF})
    assert frame.height == 0 and frame.width == 0


def test_the_hotspot_map_gets_each_bureaus_lattice_with_its_cells():
    con = duckdb.connect()
    con.execute(
        "create table mart_hotspot_cells as select * from (values "
        "(DATE '2026-11-27', 'B1', 'S1', 0, 0, 125.000, 43.800, 1, 0.5, 0), "
        "(DATE '2026-11-27', 'B1', 'S2', 2, 1, 125.006, 43.802, 4, 3.1, 3), "
        "(DATE '2026-11-27', 'B1', 'S2', 1, 2, 125.003, 43.804, 0, null, 0), "
        "(DATE '2026-11-26', 'B1', 'S1', 9, 9, 0.0, 0.0, 0, null, 0)) "
        "as t(as_of_date, bureau_id, station_id, cell_x, cell_y, center_lon, center_lat, "
        "cases, gi_z, hot_class)"
    )
    cells = data.run_query(con, "hotspot_map", {"as_of_date": AS_OF})
    assert cells["cell_x"].to_list() == [0, 1, 2]
    lattice = cells.row(0, named=True)
    assert round(lattice["lon0"], 9) == 125.0 and round(lattice["lon_step"], 9) == 0.003
    assert round(lattice["lat0"], 9) == 43.8 and round(lattice["lat_step"], 9) == 0.002


def test_emerging_communities_are_ranked_by_the_marts_emerging_flag():
    con = duckdb.connect()
    con.execute(
        "create table mart_emerging_hotspots as select * from (values "
        "('M1', 'persistent', 'hot', false), ('M1', 'persistent', 'hot', false), "
        "('M2', 'new', 'hot', true), ('M2', 'sporadic', 'hot', false), "
        "('M3', 'new', 'cold', false), ('M4', 'no_pattern', 'hot', false)) "
        "as t(community_id, pattern, spot_type, is_emerging_hot_spot)"
    )
    con.execute("alter table mart_emerging_hotspots add column as_of_date date")
    con.execute("update mart_emerging_hotspots set as_of_date = ?", [AS_OF])
    rows = data.run_query(con, "emerging", {"as_of_date": AS_OF}).rows()
    # M2's one emerging cell beats M1's two persistent ones; cold spots and no pattern are out
    assert rows == [
        (1, "M2", 1, "new", 1),
        (1, "M2", 1, "sporadic", 1),
        (2, "M1", 0, "persistent", 2),
    ]
