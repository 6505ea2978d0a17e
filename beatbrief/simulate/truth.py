"""Ground truth of a simulation: what was planted, in plain JSON for tests and analysts."""

from __future__ import annotations

import numpy as np
import polars as pl

from beatbrief.simulate.cases import CaseResult
from beatbrief.simulate.geo import nearest_point
from beatbrief.simulate.geography import Bureau
from beatbrief.simulate.patrols import SLOTS, Team

README = """# Simulation truth

What the simulator planted, to check the pipeline against. Coordinates are WGS-84; weekdays are
ISO 8601 (1 = Monday … 7 = Sunday); hours are 0–23 of the occurrence time, Beijing wall time.

- `hotspots.json`: planted hotspots (kind `stable` all along, `emerging` from `start_date`, growing
  week over week), each tied to categories, hours, weekdays and a road segment or a place type.
- `near_repeat.json`: burglary series (first case, then more within `radius_m` and `window_days`).
- `zero_case_communities.json`: communities with no case reported from `zero_since` to the end.
- `patrol_teams.json`: every patrol team and its assignment (hotspots, cold, general).
- `understaffed_stations.json`: stations below the officer norm (urban 20, town 10, township 5).
- `bureaus.json`: bureaus with their bounds and staffing.
- `faults.csv`: every planted data fault (record_key = the feed's key columns joined by `|`).
- `missing_partitions.json`: partitions that were never delivered.
- `manifest.json`: every landed file with its format, encoding and number of data rows.
- `params.json`: the arguments of the run.
"""


def _lonlat(bureau: Bureau, x: float, y: float) -> tuple[float, float]:
    lon, lat = bureau.proj.to_lonlat(np.array([x]), np.array([y]))
    return round(float(lon[0]), 6), round(float(lat[0]), 6)


def _community_at(bureau: Bureau, x: float, y: float) -> dict:
    com = bureau.communities
    i = int(
        nearest_point(np.array([x]), np.array([y]), com["x_m"].to_numpy(), com["y_m"].to_numpy())[0]
    )
    return {"community_id": com["community_id"][i], "station_id": com["station_id"][i]}


def hotspots(bureau: Bureau, result: CaseResult) -> list[dict]:
    """Planted hotspots with their location, pattern and delivered case count."""
    counts = dict(result.case_signal.group_by("signal").len().iter_rows())
    seg_ids = bureau.segments["road_segment_id"]
    out = []
    for h in result.signals.hotspots:
        lon, lat = _lonlat(bureau, h.x, h.y)
        out.append(
            {
                "hotspot_id": h.hotspot_id,
                "bureau_id": bureau.spec.bureau_id,
                "kind": h.kind,
                "template": h.template,
                "center_lon": lon,
                "center_lat": lat,
                "radius_m": h.radius_m,
                "categories": list(h.categories),
                "hours": list(h.hours),
                "weekdays": list(h.weekdays),
                "road_segment_id": None if h.segment is None else seg_ids[h.segment],
                "place_type": h.place_type if h.segment is None else "street",
                "start_date": h.start.isoformat(),
                **_community_at(bureau, h.x, h.y),
                "mean_extra_cases_per_day": h.rate,
                "case_count": int(counts.get(h.hotspot_id, 0)),
            }
        )
    return out


def near_repeat(bureau: Bureau, result: CaseResult) -> dict:
    """The near-repeat burglary series with its case ids (first case first)."""
    nr = result.signals.near_repeat
    ids = (
        result.case_signal.filter(pl.col("signal") == nr["series_id"])
        .sort("case_id")["case_id"]
        .to_list()
    )
    lon, lat = _lonlat(bureau, nr["x"], nr["y"])
    return {
        "series_id": nr["series_id"],
        "bureau_id": bureau.spec.bureau_id,
        "category": "burglary",
        "center_lon": lon,
        "center_lat": lat,
        "radius_m": nr["radius_m"],
        "window_days": nr["window_days"],
        "start_date": nr["start_date"],
        "end_date": nr["end_date"],
        "seed_case_id": ids[0] if ids else None,
        "case_ids": ids,
        **_community_at(bureau, nr["x"], nr["y"]),
    }


def zero_case_communities(bureau: Bureau, result: CaseResult, end) -> list[dict]:
    """Communities kept free of cases from zero_since on, with their last earlier case."""
    com = bureau.communities
    out = []
    for i, since in result.signals.zero_since.items():
        cid = com["community_id"][i]
        before = result.case_signal.filter(pl.col("community_id") == cid)["reported_date"]
        out.append(
            {
                "community_id": cid,
                "community_name": com["community_name"][i],
                "station_id": com["station_id"][i],
                "bureau_id": bureau.spec.bureau_id,
                "zero_since": since.isoformat(),
                "zero_days": (end - since).days + 1,
                "last_case_date": before.max().isoformat() if before.len() else None,
            }
        )
    return out


def patrol_teams(bureau: Bureau, teams: list[Team]) -> list[dict]:
    """Every patrol team, its station, assignment and patrol area."""
    station_ids = bureau.stations["station_id"].to_list()
    out = []
    for t in teams:
        lon, lat = _lonlat(bureau, t.anchor_x, t.anchor_y)
        out.append(
            {
                "team_id": t.team_id,
                "station_id": station_ids[t.station_index],
                "bureau_id": bureau.spec.bureau_id,
                "assignment": t.assignment,
                "mode": t.mode,
                "shift_start_hours": [SLOTS[s] for s in t.slots],
                "hotspot_id": t.hotspot_id,
                "anchor_lon": lon,
                "anchor_lat": lat,
                "patrol_radius_m": t.tether_m,
                "vehicle_id": t.vehicle_id,
            }
        )
    return out


def understaffed_stations(bureau: Bureau) -> list[dict]:
    """Stations whose officer count is below the norm for their type."""
    st = bureau.stations.filter(pl.col("officer_count") < pl.col("norm"))
    return [
        {
            "station_id": r["station_id"],
            "station_name": r["station_name"],
            "bureau_id": r["bureau_id"],
            "station_type": r["station_type"],
            "officer_count": r["officer_count"],
            "norm": r["norm"],
        }
        for r in st.iter_rows(named=True)
    ]


def bureau_summary(bureau: Bureau) -> dict:
    """A bureau's identity, bounds and staffing share."""
    st = bureau.stations
    station_officers = int(st["officer_count"].sum())
    total = int(st["bureau_officer_count"][0])
    return {
        "bureau_id": bureau.spec.bureau_id,
        "bureau_name": bureau.spec.bureau_name,
        "bureau_type": bureau.spec.bureau_type,
        "center_lon": bureau.spec.lon0,
        "center_lat": bureau.spec.lat0,
        **bureau.bounds(),
        "station_count": st.height,
        "community_count": bureau.communities.height,
        "population": int(bureau.communities["population"].sum()),
        "station_officer_count": station_officers,
        "bureau_officer_count": total,
        "station_officer_share": round(station_officers / total, 4),
    }
