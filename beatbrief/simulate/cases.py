"""Cases (警情/案件): background cases, planted signals, status updates and personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from beatbrief.feeds import load_schema
from beatbrief.simulate import names
from beatbrief.simulate.categories import (
    CATEGORIES,
    WEEKDAY_PROFILES,
    WINDOWS,
    category_index,
    hour_weights,
)
from beatbrief.simulate.geo import nearest_segment, wgs84_to_gcj02
from beatbrief.simulate.geography import Bureau
from beatbrief.simulate.signals import (
    DAY_S,
    Events,
    Signals,
    community_of,
    day_seconds,
    plant_signals,
)
from beatbrief.simulate.text import addresses, summaries

# Background cases per day for a county of 500,000; planted signals add about 8 a day on top.
BACKGROUND_PER_DAY = 51.0
REFERENCE_POPULATION = 500_000
SEGMENT_MATCH_M = 60.0
GCJ02_SHARE = 0.03
NO_COORD_SYSTEM_SHARE = 0.10
NOT_GEOCODED_SHARE = 0.015
AREA_RATE = {"core": 1.25, "town_seat": 1.0, "township_seat": 0.8, "village": 0.75}
STATION_HANDLED_SHARE = 0.42
FIVE_TYPES = {
    "caught_on_spot": 0.30,
    "surrender": 0.08,
    "brought_in": 0.15,
    "direct_lead": 0.22,
    "simple_other": 0.25,
}
NONE = -1


@dataclass
class CaseResult:
    """Case records of one bureau (schema columns plus partition_date) and its signal truth."""

    records: pl.DataFrame
    signals: Signals
    case_signal: pl.DataFrame  # case_id, signal, reported_date, community_id, category


def simulate_cases(bureau: Bureau, rng: np.random.Generator, start: date, end: date) -> CaseResult:
    """All case records of one bureau whose updated_at falls in [start, end]."""
    signals = plant_signals(bureau, rng, start, end)
    events = Events.concat([_background_events(bureau, rng, start, end), signals.events])
    cases = _locate(bureau, events)
    cases = _time_windows(cases, rng)
    quiet_from = np.full(bureau.communities.height, np.iinfo(np.int64).max)
    for community, since in signals.zero_since.items():
        quiet_from[community] = day_seconds(since)
    zero = cases["reported"] >= quiet_from[cases["community"]]
    in_range = (cases["reported"] >= day_seconds(start)) & (
        cases["reported"] < day_seconds(end) + DAY_S
    )
    cases = {k: v[in_range & ~zero] for k, v in cases.items()}
    order = np.lexsort((rng.random(len(cases["reported"])), cases["reported"]))
    cases = {k: v[order] for k, v in cases.items()}
    cases["case_id"] = _case_ids(bureau.spec.admin_code, cases["reported"])
    _classify(cases, rng)
    _personal_data(bureau, cases, rng)
    frame = _case_frame(bureau, cases, rng)
    records = _status_records(bureau, frame, cases, rng, end)
    case_signal = frame.select(
        "case_id",
        pl.Series("signal", cases["signal"], dtype=pl.String),
        pl.col("reported_at").dt.date().alias("reported_date"),
        "community_id",
        "category",
    )
    return CaseResult(records, signals, case_signal)


def _background_events(bureau: Bureau, rng: np.random.Generator, start: date, end: date) -> Events:
    """Poisson cases per day and category with weekly and seasonal cycles, placed by population."""
    # start two days early: cases that occurred just before the range are reported in it
    first = start - timedelta(days=2)
    n_days = (end - first).days + 1
    days = [first + timedelta(days=k) for k in range(n_days)]
    doy = np.array([d.timetuple().tm_yday for d in days])
    iso = np.array([d.isoweekday() for d in days])
    season = 1 + 0.12 * np.sin(2 * np.pi * (doy - 105) / 365.25)  # summer peak
    base = BACKGROUND_PER_DAY * bureau.spec.population / REFERENCE_POPULATION
    shares = np.array([c.share for c in CATEGORIES])
    weekly = np.array([WEEKDAY_PROFILES[c.weekdays] for c in CATEGORIES])  # (cats, 7)
    lam = base * season[:, None] * shares[None, :] * weekly[:, iso - 1].T
    counts = rng.poisson(lam)  # (days, cats)
    day_idx, cat = np.nonzero(counts)
    reps = counts[day_idx, cat]
    day_idx, cat = np.repeat(day_idx, reps), np.repeat(cat, reps)
    n = len(cat)
    hour = np.empty(n, dtype=np.int64)
    community = np.empty(n, dtype=np.int64)
    place = np.empty(n, dtype=object)
    com = bureau.communities
    area_rate = np.array([AREA_RATE[k] for k in com["settlement"].to_list()])
    rural = com["area_type"].to_numpy() == "rural"
    pop = com["population"].to_numpy().astype(float)
    for ci, c in enumerate(CATEGORIES):
        idx = np.flatnonzero(cat == ci)
        hour[idx] = rng.choice(24, size=len(idx), p=hour_weights(c.hours))
        w = pop * area_rate * np.where(rural, c.rural_factor, 1.0)
        community[idx] = rng.choice(len(w), size=len(idx), p=w / w.sum())
        for is_rural, places in ((False, c.urban_places), (True, c.rural_places)):
            sub = idx[rural[community[idx]] == is_rural]
            keys = list(places)
            probs = np.array([places[k] for k in keys])
            place[sub] = np.array(keys, dtype=object)[
                rng.choice(len(keys), size=len(sub), p=probs / probs.sum())
            ]
    t = np.array([day_seconds(d) for d in days])[day_idx] + hour * 3600 + rng.integers(0, 3600, n)
    x, y = _place_points(bureau, rng, community, place)
    return Events(cat, t, x, y, place, np.full(n, "", dtype=object))


def _place_points(
    bureau: Bureau, rng: np.random.Generator, community: np.ndarray, place: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Street cases go on a road segment near the community; the rest anywhere in its area."""
    com, seg = bureau.communities, bureau.segments
    cx, cy, radius = com["x_m"].to_numpy(), com["y_m"].to_numpy(), com["radius_m"].to_numpy()
    r = radius[community] * np.sqrt(rng.random(len(community)))
    a = rng.random(len(community)) * 2 * np.pi
    x, y = cx[community] + r * np.cos(a), cy[community] + r * np.sin(a)
    street = np.flatnonzero(place == "street")
    if len(street):
        ax, ay, bx, by = (seg[c].to_numpy() for c in ("ax_m", "ay_m", "bx_m", "by_m"))
        # candidate segments of each community: those passing within its radius (else the nearest)
        vx, vy = bx - ax, by - ay
        length = np.hypot(vx, vy)
        tproj = np.clip(((cx[:, None] - ax) * vx + (cy[:, None] - ay) * vy) / length**2, 0, 1)
        d = np.hypot(cx[:, None] - (ax + tproj * vx), cy[:, None] - (ay + tproj * vy))
        near = d <= np.maximum(radius, 250.0)[:, None]
        near[np.arange(len(cx)), np.argmin(d, axis=1)] = True
        counts = near.sum(axis=1)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        flat = np.nonzero(near)[1]
        c = community[street]
        s = flat[indptr[c] + (rng.random(len(street)) * counts[c]).astype(np.int64)]
        along = np.clip(tproj[c, s] + rng.uniform(-1, 1, len(street)) * radius[c] / length[s], 0, 1)
        side = rng.normal(0, 6, len(street))
        x[street] = ax[s] + along * vx[s] - side * vy[s] / length[s]
        y[street] = ay[s] + along * vy[s] + side * vx[s] / length[s]
    return x, y


def _locate(bureau: Bureau, events: Events) -> dict[str, np.ndarray]:
    """Community (nearest centre) and road segment (within 60 m) of every event."""
    seg = bureau.segments
    community = community_of(bureau, events.x, events.y)
    s, dist = nearest_segment(
        events.x, events.y, *(seg[c].to_numpy() for c in ("ax_m", "ay_m", "bx_m", "by_m"))
    )
    return {
        "category": events.category,
        "t_true": events.t_true,
        "x": events.x,
        "y": events.y,
        "place_type": events.place_type,
        "signal": events.signal,
        "community": community,
        "nearest_segment": s,
        "on_segment": dist <= SEGMENT_MATCH_M,
    }


def _time_windows(cases: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Occurrence windows that contain the true time, and the report time after the window."""
    n = len(cases["category"])
    window = np.array([WINDOWS[CATEGORIES[c].window] for c in range(len(CATEGORIES))])[
        cases["category"]
    ]
    span = (window[:, 0] + rng.random(n) * (window[:, 1] - window[:, 0])) * 3600
    before = rng.random(n) * span
    occurred_from = cases["t_true"] - before.astype(np.int64)
    occurred_to = occurred_from + span.astype(np.int64)
    delay = (window[:, 2] + rng.random(n) * (window[:, 3] - window[:, 2])) * 60
    cases["occurred_from"] = occurred_from
    cases["occurred_to"] = occurred_to
    cases["reported"] = occurred_to + delay.astype(np.int64)
    return cases


def _case_ids(admin_code: str, reported: np.ndarray) -> np.ndarray:
    """Case numbers J<admin code><yyyymmdd><sequence of the day>, in report order."""
    day = reported // DAY_S
    first = np.searchsorted(day, day, side="left")
    seq = np.arange(len(day)) - first + 1
    dates = (np.datetime64("1970-01-01") + day.astype("timedelta64[D]")).astype(str)
    stamp = np.char.replace(dates, "-", "")
    return np.char.add(
        np.char.add(f"J{admin_code}", stamp), np.char.zfill(seq.astype(str), 4)
    ).astype(object)


def _classify(cases: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Kind, handling unit and five-type of every case."""
    n = len(cases["category"])
    kind = np.empty(n, dtype=object)
    for ci, c in enumerate(CATEGORIES):
        idx = np.flatnonzero(cases["category"] == ci)
        keys = list(c.kinds)
        kind[idx] = np.array(keys, dtype=object)[
            rng.choice(len(keys), size=len(idx), p=list(c.kinds.values()))
        ]
    schema = load_schema("cases")
    assert set(FIVE_TYPES) <= set(schema.column("five_type").values)
    criminal = kind == "criminal"
    by_station = criminal & (rng.random(n) < STATION_HANDLED_SHARE)
    handled = np.where(criminal & ~by_station, "criminal_brigade", "station").astype(object)
    five = np.full(n, None, dtype=object)
    keys = list(FIVE_TYPES)
    five[by_station] = np.array(keys, dtype=object)[
        rng.choice(len(keys), size=int(by_station.sum()), p=list(FIVE_TYPES.values()))
    ]
    cases["kind"], cases["handled_by"], cases["five_type"] = kind, handled, five


def _personal_data(bureau: Bureau, cases: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Reporter and suspect identities (fictitious), addresses and free-text summaries."""
    n = len(cases["category"])
    area = bureau.spec.admin_code
    found_by_police = np.isin(
        cases["category"], [category_index(c) for c in ("drugs", "gambling", "prostitution")]
    )
    has_reporter = rng.random(n) < np.where(found_by_police, 0.2, 0.95)
    cases["reporter_name"] = np.where(has_reporter, names.person_names(rng, n), None)
    cases["reporter_phone"] = np.where(
        has_reporter & (rng.random(n) < 0.95), names.mobile_phones(rng, n), None
    )
    cases["reporter_id_card"] = np.where(
        has_reporter & (rng.random(n) < 0.7), names.id_cards(rng, n, area), None
    )
    known = np.array([c.suspect_known for c in CATEGORIES])[cases["category"]]
    known = np.where(
        np.isin(cases["five_type"], ["caught_on_spot", "surrender", "brought_in"]), 1.0, known
    )
    has_suspect = rng.random(n) < known
    cases["suspect_name"] = np.where(has_suspect, names.person_names(rng, n), None)
    cases["suspect_id_card"] = np.where(
        has_suspect & (rng.random(n) < 0.6), names.id_cards(rng, n, area, max_year=2008), None
    )
    cases["address"] = addresses(bureau, cases, rng)
    cases["summary"] = summaries(cases, rng)


def _case_frame(
    bureau: Bureau, cases: dict[str, np.ndarray], rng: np.random.Generator
) -> pl.DataFrame:
    """One row per case with its static fields (status fields are added per record)."""
    com, seg = bureau.communities, bureau.segments
    n = len(cases["category"])
    lon, lat = bureau.proj.to_lonlat(cases["x"], cases["y"])
    gcj = rng.random(n) < GCJ02_SHARE  # cases typed in on a web map that works in GCJ-02
    glon, glat = wgs84_to_gcj02(lon[gcj], lat[gcj])
    lon[gcj], lat[gcj] = glon, glat
    system = np.where(gcj, "GCJ02", np.where(rng.random(n) < NO_COORD_SYSTEM_SHARE, None, "WGS84"))
    no_geo = rng.random(n) < NOT_GEOCODED_SHARE
    seg_ids = seg["road_segment_id"].to_numpy()[cases["nearest_segment"]]
    cat_names = np.array([c.name for c in CATEGORIES], dtype=object)
    ts = {
        k: pl.Series(k, cases[v] * 1000, dtype=pl.Int64).cast(pl.Datetime("ms"))
        for k, v in (
            ("reported_at", "reported"),
            ("occurred_from", "occurred_from"),
            ("occurred_to", "occurred_to"),
        )
    }
    return pl.DataFrame(
        {
            "case_id": cases["case_id"].tolist(),
            "station_id": com["station_id"].to_numpy()[cases["community"]].tolist(),
            "community_id": com["community_id"].to_numpy()[cases["community"]].tolist(),
            "road_segment_id": np.where(cases["on_segment"] & ~no_geo, seg_ids, None).tolist(),
            "kind": cases["kind"].tolist(),
            "category": cat_names[cases["category"]].tolist(),
            "five_type": cases["five_type"].tolist(),
            "handled_by": cases["handled_by"].tolist(),
            "place_type": cases["place_type"].tolist(),
            "reported_at": ts["reported_at"],
            "occurred_from": ts["occurred_from"],
            "occurred_to": ts["occurred_to"],
            "lon": pl.Series(np.where(no_geo, np.nan, np.round(lon, 6))).fill_nan(None),
            "lat": pl.Series(np.where(no_geo, np.nan, np.round(lat, 6))).fill_nan(None),
            "coord_system": np.where(no_geo, None, system).tolist(),
            "address": cases["address"].tolist(),
            **{
                k: pl.Series(k, cases[k].tolist(), dtype=pl.String)
                for k in (
                    "summary",
                    "reporter_name",
                    "reporter_phone",
                    "reporter_id_card",
                    "suspect_name",
                    "suspect_id_card",
                )
            },
        }
    )


def _status_records(
    bureau: Bureau,
    frame: pl.DataFrame,
    cases: dict[str, np.ndarray],
    rng: np.random.Generator,
    end: date,
) -> pl.DataFrame:
    """Expand each case into its status records (accepted, filed, solved, closed, callback)."""
    t = _timeline(bureau, cases, rng)
    last = day_seconds(end) + DAY_S - 1
    n = len(cases["kind"])
    schema = load_schema("cases")
    statuses = schema.column("status").values  # accepted, filed, solved, closed
    stages = [
        ("accepted", np.ones(n, dtype=bool), t["accepted"]),
        ("filed", t["filed"] != NONE, t["filed"]),
        ("solved", t["solved"] != NONE, t["solved"]),
        ("closed", t["closed"] != NONE, t["closed"]),
        ("callback", t["callback"] != NONE, t["callback"]),
    ]
    parts = []
    for stage, mask, when in stages:
        idx = np.flatnonzero(mask & (when <= last))
        if stage == "callback":
            status = np.where(t["closed"][idx] != NONE, "closed", "solved")
        else:
            status = np.full(len(idx), stage)
        resolved_known = (stage in ("closed", "callback")) & (cases["kind"][idx] == "dispute")
        parts.append(
            pl.DataFrame(
                {
                    "row": idx,
                    "updated_s": when[idx],
                    "status": status.astype(str),
                    "is_dispute_resolved": pl.Series(
                        np.where(resolved_known, t["resolved"][idx], None).tolist(),
                        dtype=pl.Boolean,
                    ),
                    "callback_result": pl.Series(
                        t["callback_result"][idx].tolist()
                        if stage == "callback"
                        else [None] * len(idx),
                        dtype=pl.String,
                    ),
                    "callback_s": when[idx] if stage == "callback" else np.full(len(idx), NONE),
                }
            )
        )
    long = pl.concat(parts).sort("updated_s", "row")
    assert set(long["status"].unique().to_list()) <= set(statuses)
    records = frame[long["row"].to_numpy()].with_columns(
        status=long["status"],
        is_dispute_resolved=long["is_dispute_resolved"],
        callback_result=long["callback_result"],
        updated_at=(long["updated_s"] * 1000).cast(pl.Datetime("ms")),
        callback_at=pl.when(long["callback_s"] != NONE)
        .then(long["callback_s"] * 1000)
        .cast(pl.Datetime("ms")),
    )
    return records.with_columns(partition_date=pl.col("updated_at").dt.date())


def _timeline(
    bureau: Bureau, cases: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Status change times per case (NONE when a change never happens)."""
    n = len(cases["kind"])
    kind, handled = cases["kind"], cases["handled_by"]
    rep = cases["reported"]
    hour = 3600

    def u(lo: float, hi: float) -> np.ndarray:
        return (lo + rng.random(n) * (hi - lo)).astype(np.int64)

    def expo(mean: float) -> np.ndarray:
        return rng.exponential(mean, n).astype(np.int64)

    day_end = (rep // DAY_S + 1) * DAY_S - 1
    accepted = np.minimum(rep + u(30, 600), day_end)  # first delivery stays in the report's day
    filed = np.full(n, NONE)
    solved = np.full(n, NONE)
    closed = np.full(n, NONE)
    r = rng.random((4, n))
    crim, po = kind == "criminal", kind == "public_order"
    dispute, other = kind == "dispute", kind == "other"
    station = handled == "station"
    # criminal: filed (立案) or closed unfiled; station five-type cases are solved quickly
    f = crim & (r[0] < 0.92)
    filed[f] = (rep + u(hour, 72 * hour))[f]
    closed[crim & ~f] = (rep + u(2 * hour, 72 * hour))[crim & ~f]
    s = f & (r[1] < np.where(station, 0.92, 0.35))
    solved[s] = (filed + hour + np.where(station, expo(2 * DAY_S), expo(12 * DAY_S)))[s]
    c = s & (r[2] < 0.8)
    closed[c] = (solved + DAY_S + expo(10 * DAY_S))[c]
    # public order: filed, mostly solved (a penalty decided), then closed
    f = po & (r[0] < 0.85)
    filed[f] = (rep + u(hour // 2, 24 * hour))[f]
    closed[po & ~f] = (rep + u(hour, 48 * hour))[po & ~f]
    s = f & (r[1] < 0.75)
    solved[s] = (filed + hour + expo(3 * DAY_S))[s]
    c = s & (r[2] < 0.85)
    closed[c] = (solved + 6 * hour + expo(5 * DAY_S))[c]
    # disputes: mediated and closed within days; other calls closed within a day and a half
    closed[dispute] = (rep + hour // 2 + expo(2 * DAY_S))[dispute]
    closed[other] = (rep + u(600, 36 * hour))[other]
    resolved = r[3] < 0.86
    # callbacks (回访) to the reporter after the final status, in office hours
    final = np.maximum(solved, closed)
    p_callback = np.where(other, 0.5, 0.8)
    reachable = np.array([p is not None for p in cases["reporter_phone"]], dtype=bool)
    cb = (final != NONE) & reachable & (rng.random(n) < p_callback)
    when = final + u(DAY_S // 2, 7 * DAY_S)
    when = (when // DAY_S) * DAY_S + u(9 * hour, 19 * hour)
    when = np.where(when <= final + 600, when + DAY_S, when)
    callback = np.where(cb, when, NONE)
    # keep every case's changes strictly ordered in time
    prev = accepted
    for arr in (filed, solved, closed, callback):
        has = arr != NONE
        arr[has] = np.maximum(arr[has], prev[has] + 60)
        prev = np.where(has, arr, prev)
    result = _callback_results(bureau, cases, rng)
    return {
        "accepted": accepted,
        "filed": filed,
        "solved": solved,
        "closed": closed,
        "callback": callback,
        "resolved": resolved,
        "callback_result": result,
    }


def _callback_results(
    bureau: Bureau, cases: dict[str, np.ndarray], rng: np.random.Generator
) -> np.ndarray:
    """Callback outcome; each station has its own dissatisfaction rate (league tables differ)."""
    stations = bureau.stations["station_id"].to_list()
    dissatisfied = rng.uniform(0.02, 0.10, len(stations))
    station_of_case = bureau.communities["station_index"].to_numpy()[cases["community"]]
    p_dis = dissatisfied[station_of_case]
    u = rng.random(len(p_dis))
    values = load_schema("cases").column("callback_result").values
    # thresholds: unreachable 6%, dissatisfied p, basically satisfied 12%, else satisfied
    out = np.where(
        u < 0.06,
        "unreachable",
        np.where(
            u < 0.06 + p_dis,
            "dissatisfied",
            np.where(u < 0.18 + p_dis, "basically_satisfied", "satisfied"),
        ),
    )
    assert set(np.unique(out)) <= set(values)
    return out.astype(object)
