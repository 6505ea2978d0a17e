"""Patrols (巡逻): teams, shift logs and GPS pings that move along the road network.

Pings are generated for all shifts of a bureau-day at once: a vectorised random walk on the road
graph (tethered to the team's patrol area), a speed process with stops, then interpolation of each
device's position every 30 s along the walked path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
import pyarrow as pa

from beatbrief.feeds import load_schema
from beatbrief.simulate.geo import M_PER_DEG_LAT, nearest_point, wgs84_to_gcj02
from beatbrief.simulate.geography import Bureau
from beatbrief.simulate.signals import Hotspot, day_seconds

PING_INTERVAL_S = 30
SHIFT_HOURS = 8
PINGS_PER_SHIFT = SHIFT_HOURS * 3600 // PING_INTERVAL_S
SLOTS = (0, 8, 16)  # shift start hours: 00–08, 08–16, 16–24
# Cruising speed (km/h) and the chance per ping of stopping / moving on again.
MODE_SPEED = {"vehicle": 24.0, "motorcycle": 28.0, "bicycle": 11.0, "foot": 4.5}
MODE_STOP = {
    "vehicle": (0.03, 0.08),
    "motorcycle": (0.03, 0.10),
    "bicycle": (0.03, 0.12),
    "foot": (0.04, 0.06),
}
RURAL_SPEED_FACTOR = 1.8
GPS_NOISE_M = 4.0
SIGNAL_LOSS = 0.005
COLD_MIN_DISTANCE_M = 3000.0
SHIFT_SKIP = 0.08
TELEPORT_KM = (5.0, 60.0)


@dataclass(frozen=True)
class Team:
    """A patrol team of a station and where and when it patrols."""

    team_id: str
    station_index: int
    number: int
    assignment: str  # hotspots | cold | general
    mode: str
    slots: tuple[int, ...]
    anchor_x: float
    anchor_y: float
    tether_m: float
    hotspot_id: str | None
    vehicle_id: str | None
    body_worn_gcj02: bool


@dataclass(frozen=True)
class Shift:
    """One team's shift on one day."""

    shift_id: str
    team: Team
    started_s: int
    badges: tuple[str, ...]
    auxiliaries: int


def plan_teams(
    bureau: Bureau, hotspots: list[Hotspot], rng: np.random.Generator, all_slots: bool
) -> list[Team]:
    """Plan 2–4 teams per station: hotspot teams, a few cold-area teams, the rest general."""
    st, com = bureau.stations, bureau.communities
    types = st["station_type"].to_list()
    sx, sy = st["x_m"].to_numpy(), st["y_m"].to_numpy()
    hx = np.array([h.x for h in hotspots])
    hy = np.array([h.y for h in hotspots])
    host = nearest_point(hx, hy, com["x_m"].to_numpy(), com["y_m"].to_numpy())
    hotspot_station = com["station_index"].to_numpy()[host]
    cx, cy = com["x_m"].to_numpy(), com["y_m"].to_numpy()
    far = np.min(np.hypot(cx[:, None] - hx[None, :], cy[:, None] - hy[None, :]), axis=1)
    cold_candidates = [s for s in range(st.height) if s not in set(hotspot_station.tolist())]
    cold_stations = sorted(
        rng.choice(cold_candidates, size=min(2, len(cold_candidates)), replace=False).tolist()
    )
    teams: list[Team] = []
    city = int(bureau.spec.admin_code[2:4])
    # body-worn terminals come from the station's vendor; some vendors' apps report GCJ-02
    gcj_vendor = rng.random(st.height) < 0.3
    for s, kind in enumerate(types):
        n_teams = {
            "urban": int(rng.integers(3, 5)),
            "town": 3,
            "township": int(rng.integers(2, 4)),
        }[kind]
        rural = kind != "urban"
        jobs: list[tuple[str, Hotspot | None]] = [
            ("hotspots", h) for h, hs in zip(hotspots, hotspot_station, strict=True) if hs == s
        ][: n_teams - 1]
        if s in cold_stations:
            jobs.append(("cold", None))
        jobs += [("general", None)] * (n_teams - len(jobs))
        for k, (assignment, hotspot) in enumerate(jobs):
            mode = str(
                rng.choice(["vehicle", "motorcycle"], p=[0.85, 0.15])
                if rural
                else rng.choice(
                    ["vehicle", "foot", "bicycle", "motorcycle"], p=[0.55, 0.2, 0.1, 0.15]
                )
            )
            if assignment == "hotspots":
                ax, ay, tether = hotspot.x, hotspot.y, 450.0
                slots = tuple(sorted({h // SHIFT_HOURS for h in hotspot.hours}))
            elif assignment == "cold":
                own = np.flatnonzero(
                    (com["station_index"].to_numpy() == s) & (far >= COLD_MIN_DISTANCE_M)
                )
                pick = own[np.argmax(far[own])] if len(own) else int(np.argmax(far))
                ax, ay, tether = cx[pick], cy[pick], 1500.0
                slots = (1,)
            else:
                ax, ay = sx[s], sy[s]
                tether = {"urban": 1500.0, "town": 3500.0, "township": 5000.0}[kind]
                slots = (1, 2) if k % 2 == 0 or kind != "urban" else (0, 1)
            if all_slots:
                slots = (0, 1, 2)
            vehicle = (
                f"吉{chr(64 + city)}{bureau.spec.index % 100:02d}{s:02d}{k}警"
                if mode in ("vehicle", "motorcycle")
                else None
            )
            teams.append(
                Team(
                    team_id=f"{st['station_id'][s]}-T{k + 1}",
                    station_index=s,
                    number=k + 1,
                    assignment=assignment,
                    mode=mode,
                    slots=slots,
                    anchor_x=float(ax),
                    anchor_y=float(ay),
                    tether_m=tether,
                    hotspot_id=hotspot.hotspot_id if hotspot else None,
                    vehicle_id=vehicle,
                    body_worn_gcj02=bool(gcj_vendor[s]),
                )
            )
    return teams


def day_shifts(
    bureau: Bureau, teams: list[Team], day: date, rng: np.random.Generator, province: bool
) -> list[Shift]:
    """The shifts worked on one day; officers on simultaneous shifts of a station are distinct."""
    counts = bureau.stations["officer_count"].to_numpy()
    b = bureau.spec.index % 100
    shifts = []
    for slot in range(len(SLOTS)):
        # general teams now and then skip a shift (training, court, rest after a long night)
        on_duty = [
            t
            for t in teams
            if slot in t.slots and (t.assignment != "general" or rng.random() >= SHIFT_SKIP)
        ]
        rosters = {s: list(rng.permutation(int(counts[s]))) for s in range(len(counts))}
        later = {
            t.team_id: sum(u.station_index == t.station_index for u in on_duty[i + 1 :])
            for i, t in enumerate(on_duty)
        }
        for team in on_duty:
            wanted = int(
                rng.integers(2, 5)
                if province
                else rng.integers(1, 4)
                if team.mode == "foot"
                else rng.integers(2, 4)
            )
            roster = rosters[team.station_index]
            # leave at least one officer for each team of the station still to be staffed
            take = max(1, min(wanted, len(roster) - later[team.team_id]))
            picked = sorted(roster[:take])
            del roster[:take]
            shifts.append(
                Shift(
                    shift_id=f"{team.team_id}-{day:%Y%m%d}-{SLOTS[slot]:02d}",
                    team=team,
                    started_s=day_seconds(day) + SLOTS[slot] * 3600,
                    badges=tuple(f"{b:02d}{team.station_index:02d}{o + 1:02d}" for o in picked),
                    auxiliaries=int(rng.integers(2, 6)) if province else 0,
                )
            )
    return sorted(shifts, key=lambda s: s.shift_id)


def shift_frame(bureau: Bureau, shifts: list[Shift]) -> pl.DataFrame:
    """The patrol_shifts feed rows for a list of shifts."""
    station_ids = bureau.stations["station_id"].to_list()
    return pl.DataFrame(
        {
            "shift_id": [s.shift_id for s in shifts],
            "station_id": [station_ids[s.team.station_index] for s in shifts],
            "team_id": [s.team.team_id for s in shifts],
            "officer_count": pl.Series([len(s.badges) for s in shifts], dtype=pl.Int64),
            "officer_badges": [";".join(s.badges) for s in shifts],
            "mode": [s.team.mode for s in shifts],
            "vehicle_id": pl.Series([s.team.vehicle_id for s in shifts], dtype=pl.String),
            "started_at": pl.Series([s.started_s * 1000 for s in shifts], dtype=pl.Int64).cast(
                pl.Datetime("ms")
            ),
            "ended_at": pl.Series(
                [(s.started_s + SHIFT_HOURS * 3600) * 1000 for s in shifts], dtype=pl.Int64
            ).cast(pl.Datetime("ms")),
        }
    )


def _speeds(rng: np.random.Generator, shifts: list[Shift]) -> np.ndarray:
    """Speed (km/h) of each shift in each 30-s interval: cruising with stops (a two-state chain)."""
    w = len(shifts)
    motorised = np.array([s.team.mode in ("vehicle", "motorcycle") for s in shifts])
    rural = np.array([s.team.tether_m > 3000 for s in shifts])  # a large patrol area: open roads
    base = np.array([MODE_SPEED[s.team.mode] for s in shifts])
    base = np.where(motorised & rural, base * RURAL_SPEED_FACTOR, base)
    p_stop = np.array([MODE_STOP[s.team.mode][0] for s in shifts])
    p_go = np.array([MODE_STOP[s.team.mode][1] for s in shifts])
    u = rng.random((PINGS_PER_SHIFT, w))
    shocks = rng.normal(0, 0.1, (PINGS_PER_SHIFT, w))
    moving = np.ones(w, dtype=bool)
    log_factor = np.zeros(w)  # AR(1) in log speed: traffic speeds up and slows down smoothly
    speed = np.empty((PINGS_PER_SHIFT, w))
    for j in range(PINGS_PER_SHIFT):
        moving = np.where(moving, u[j] >= p_stop, u[j] < p_go)
        log_factor = np.clip(0.9 * log_factor + shocks[j], -0.9, 0.6)
        speed[j] = np.where(moving, base * np.exp(log_factor), 0.0)
    return speed.T


def _walk(
    bureau: Bureau, rng: np.random.Generator, shifts: list[Shift], need_m: np.ndarray
) -> np.ndarray:
    """Node sequences of a tethered random walk per shift, long enough to cover need_m metres."""
    g = bureau.roads
    ax = np.array([s.team.anchor_x for s in shifts])
    ay = np.array([s.team.anchor_y for s in shifts])
    tether = np.array([s.team.tether_m for s in shifts])
    start = nearest_point(
        ax + rng.normal(0, 200, len(ax)), ay + rng.normal(0, 200, len(ay)), g.x, g.y
    )
    path = [start]
    prev = np.full(len(start), -1)
    covered = np.zeros(len(start))
    rows = np.arange(len(start))
    while np.any(covered < need_m):
        cur = path[-1]
        cand = g.neighbours[cur]
        valid = cand >= 0
        # no U-turn unless it is a dead end
        no_back = valid & (cand != prev[:, None])
        valid = np.where(no_back.any(axis=1)[:, None], no_back, valid)
        safe = np.where(valid, cand, 0)
        d_anchor = np.hypot(g.x[safe] - ax[:, None], g.y[safe] - ay[:, None])
        outside = np.hypot(g.x[cur] - ax, g.y[cur] - ay) > tether
        # outside the patrol area head back towards its centre, inside it wander at random
        score = np.where(outside[:, None], d_anchor, rng.random(cand.shape))
        score = np.where(valid, score, np.inf)
        nxt = cand[rows, np.argmin(score, axis=1)]
        covered += np.hypot(g.x[nxt] - g.x[cur], g.y[nxt] - g.y[cur])
        prev = cur
        path.append(nxt)
    return np.stack(path, axis=1)


def _positions(bureau: Bureau, path: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points at given distances along each walker's path (all walkers at once)."""
    g = bureau.roads
    px, py = g.x[path], g.y[path]
    seg = np.hypot(np.diff(px, axis=1), np.diff(py, axis=1))
    cum = np.concatenate([np.zeros((len(path), 1)), np.cumsum(seg, axis=1)], axis=1)
    # one global searchsorted: offset every walker's distances so rows never overlap
    span = cum[:, -1].max() + dist.max() + 1.0
    offset = np.arange(len(path))[:, None] * span
    k = np.searchsorted((cum + offset).ravel(), (dist + offset).ravel(), side="right").reshape(
        dist.shape
    )
    k = np.clip(k - 1 - np.arange(len(path))[:, None] * cum.shape[1], 0, cum.shape[1] - 2)
    rows = np.arange(len(path))[:, None]
    frac = np.clip((dist - cum[rows, k]) / np.maximum(seg[rows, k], 1e-9), 0, 1)
    return px[rows, k] + frac * (px[rows, k + 1] - px[rows, k]), py[rows, k] + frac * (
        py[rows, k + 1] - py[rows, k]
    )


@dataclass
class PingBatch:
    """One bureau-day of pings as an Arrow table plus the faults planted in it."""

    table: pa.Table
    faults: list[dict]


def bureau_pings(
    bureau: Bureau,
    shifts: list[Shift],
    rng: np.random.Generator,
    *,
    province: bool,
    fault_rate: float,
) -> PingBatch:
    """GPS pings of every device on every shift of one bureau-day."""
    speed = _speeds(rng, shifts)  # (shifts, pings)
    step_m = speed / 3.6 * PING_INTERVAL_S
    dist = np.concatenate([np.zeros((len(shifts), 1)), np.cumsum(step_m, axis=1)], axis=1)
    path = _walk(bureau, rng, shifts, dist[:, -1])
    devices = _devices(bureau, shifts, province)
    owner = np.array([d[0] for d in devices])
    # each device pings on its own phase within the 30-s cycle, at the walker's position then
    phase = rng.integers(0, PING_INTERVAL_S, len(devices))
    j = np.arange(PINGS_PER_SHIFT)
    f = phase[:, None] / PING_INTERVAL_S
    d_dev = dist[owner][:, :-1] + f * (dist[owner][:, 1:] - dist[owner][:, :-1])
    x, y = _positions(bureau, path[owner], d_dev)
    n_dev = len(devices)
    offset = rng.normal(0, 3.0, (n_dev, 2))  # officers walk a few metres apart
    x = x + offset[:, :1] + rng.normal(0, GPS_NOISE_M, x.shape)
    y = y + offset[:, 1:] + rng.normal(0, GPS_NOISE_M, y.shape)
    spd = speed[owner] * np.exp(rng.normal(0, 0.05, x.shape)) + np.abs(rng.normal(0, 0.3, x.shape))
    t = (
        np.array([shifts[o].started_s for o in owner])[:, None]
        + j[None, :] * PING_INTERVAL_S
        + phase[:, None]
    )
    keep = rng.random(x.shape) >= SIGNAL_LOSS  # short signal losses (tunnels, basements)
    dev_idx = np.broadcast_to(np.arange(n_dev)[:, None], x.shape)[keep]
    x, y, spd, t = x[keep], y[keep], spd[keep], t[keep]
    lon, lat = bureau.proj.to_lonlat(x, y)
    gcj = np.array([d[2] for d in devices], dtype=bool)[dev_idx]
    glon, glat = wgs84_to_gcj02(lon[gcj], lat[gcj])
    lon[gcj], lat[gcj] = glon, glat
    faults = _ping_faults(bureau, rng, lon, lat, fault_rate, devices, dev_idx, t)
    table = _ping_table(bureau, shifts, devices, dev_idx, t, lon, lat, gcj, spd)
    return PingBatch(table, faults)


def _devices(bureau: Bureau, shifts: list[Shift], province: bool) -> list[tuple[int, str, bool]]:
    """(shift index, device id, reports GCJ-02) for every GPS device on a shift."""
    out = []
    b = bureau.spec.index % 100
    for i, s in enumerate(shifts):
        team = s.team
        unit = f"{b:02d}{team.station_index:02d}{team.number}"
        if team.vehicle_id is not None:
            out.append((i, f"CAR{unit}", False))  # vehicle units report WGS-84
        if province or team.vehicle_id is None:
            # body-worn terminals: in the province feed every officer's and auxiliary's; in the
            # county demo only the team leader's, and only when there is no vehicle unit
            badges = s.badges if province else s.badges[:1]
            out += [(i, f"BW{badge}", team.body_worn_gcj02) for badge in badges]
            slot = s.shift_id[-2:]
            out += [(i, f"FJ{unit}{slot}{k}", team.body_worn_gcj02) for k in range(s.auxiliaries)]
    return out


def _ping_faults(
    bureau: Bureau,
    rng: np.random.Generator,
    lon: np.ndarray,
    lat: np.ndarray,
    rate: float,
    devices: list,
    dev_idx: np.ndarray,
    t: np.ndarray,
) -> list[dict]:
    """Plant GPS teleport jumps (and some zero fixes) in place; return what was planted."""
    if rate <= 0:
        return []
    hit = np.flatnonzero(rng.random(len(lon)) < rate)
    zero = rng.random(len(hit)) < 0.2
    dist_km = rng.uniform(*TELEPORT_KM, len(hit))
    angle = rng.random(len(hit)) * 2 * np.pi
    m_lon = bureau.proj.m_per_deg_lon
    lon[hit] = np.where(zero, 0.0, lon[hit] + dist_km * 1000 * np.cos(angle) / m_lon)
    lat[hit] = np.where(zero, 0.0, lat[hit] + dist_km * 1000 * np.sin(angle) / M_PER_DEG_LAT)
    stamps = (np.datetime64("1970-01-01T00:00:00") + t[hit].astype("timedelta64[s]")).astype(str)
    return [
        {
            "record_key": f"{devices[dev_idx[h]][1]}|{str(s).replace('T', ' ')}",
            "fault_type": "zero_coordinates" if z else "gps_teleport",
            "column_name": "lon;lat",
        }
        for h, s, z in zip(hit.tolist(), stamps.tolist(), zero.tolist(), strict=True)
    ]


def _dict_column(codes: np.ndarray, values: list[str]) -> pa.DictionaryArray:
    """A dictionary-encoded string column: cheap to build and to write for 40 M rows."""
    # a dictionary with repeated entries makes the Parquet writer's output vary between runs
    unique, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)
    return pa.DictionaryArray.from_arrays(
        pa.array(inverse[codes].astype(np.int32)), pa.array(unique.tolist(), pa.string())
    )


def _ping_table(
    bureau: Bureau,
    shifts: list[Shift],
    devices: list,
    dev_idx: np.ndarray,
    t: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    gcj: np.ndarray,
    spd: np.ndarray,
) -> pa.Table:
    """Arrow table with exactly the patrol_pings columns, in contract order."""
    schema = load_schema("patrol_pings")
    systems = list(schema.column("coord_system").values)  # [WGS84, GCJ02]
    owner = np.array([d[0] for d in devices])[dev_idx]
    station_ids = bureau.stations["station_id"].to_list()
    columns = {
        "device_id": _dict_column(dev_idx, [d[1] for d in devices]),
        "shift_id": _dict_column(owner, [s.shift_id for s in shifts]),
        "team_id": _dict_column(owner, [s.team.team_id for s in shifts]),
        "station_id": _dict_column(owner, [station_ids[s.team.station_index] for s in shifts]),
        "pinged_at": pa.array(t.astype("datetime64[s]").astype("datetime64[ms]")),
        "lon": pa.array(np.round(lon, 6)),
        "lat": pa.array(np.round(lat, 6)),
        "coord_system": _dict_column(gcj.astype(np.int32), systems),
        "speed_kmh": pa.array(np.round(spd, 1)),
    }
    assert systems[1] == "GCJ02"
    return pa.table({name: columns[name] for name in schema.names})


def ping_dates(end: date, ping_days: int) -> list[date]:
    """The days that get patrol data: the last ping_days days up to end."""
    return [end - timedelta(days=k) for k in range(ping_days - 1, -1, -1)]
