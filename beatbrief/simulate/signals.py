"""Planted signals: hotspots (stable, emerging), a near-repeat burglary series, zero-case villages.

Each signal produces extra case events on top of the background and a truth record, so that the
pipeline's hotspot, near-repeat and zero-incident metrics can be checked against what was planted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

import numpy as np

from beatbrief.simulate.categories import category_index
from beatbrief.simulate.geo import nearest_point
from beatbrief.simulate.geography import Bureau

DAY_S = 86_400
EPOCH = date(1970, 1, 1)
MIN_SEPARATION_M = 900.0
ALL_WEEK = (1, 2, 3, 4, 5, 6, 7)

# Hotspot templates: categories, occurrence hours, ISO weekdays (1 = Monday), the kind of place
# (None: the hotspot lies along a road segment) and the mean extra cases per day over the week.
STABLE_TEMPLATES = (
    {
        "name": "market",
        "categories": ("pickpocketing", "theft"),
        "hours": (8, 9, 10, 11),
        "weekdays": (3, 6, 7),
        "place_type": "market",
        "rate": 1.5,
    },
    {
        "name": "bar_street",
        "categories": ("assault", "disorder"),
        "hours": (21, 22, 23, 0, 1),
        "weekdays": (5, 6),
        "place_type": None,
        "rate": 1.4,
    },
    {
        "name": "bus_station",
        "categories": ("pickpocketing",),
        "hours": (6, 7, 8, 16, 17, 18),
        "weekdays": ALL_WEEK,
        "place_type": "transport_station",
        "rate": 1.3,
    },
    {
        "name": "internet_cafe",
        "categories": ("disorder", "theft"),
        "hours": (19, 20, 21, 22, 23),
        "weekdays": ALL_WEEK,
        "place_type": "internet_cafe",
        "rate": 1.3,
    },
    {
        "name": "ebike_compound",
        "categories": ("vehicle_theft",),
        "hours": (0, 1, 2, 3, 4),
        "weekdays": ALL_WEEK,
        "place_type": "residential_compound",
        "rate": 1.2,
    },
    {
        "name": "school_gate",
        "categories": ("assault",),
        "hours": (15, 16, 17),
        "weekdays": (1, 2, 3, 4, 5),
        "place_type": "school_area",
        "rate": 1.2,
    },
    {
        "name": "busy_crossing",
        "categories": ("traffic_dispute",),
        "hours": (7, 8, 17, 18),
        "weekdays": (1, 2, 3, 4, 5),
        "place_type": None,
        "rate": 1.4,
    },
)
EMERGING_TEMPLATES = (
    {
        "name": "night_market",
        "categories": ("theft", "pickpocketing"),
        "hours": (18, 19, 20, 21),
        "weekdays": ALL_WEEK,
        "place_type": "market",
        "rate": 0.4,
    },
    {
        "name": "new_ktv",
        "categories": ("assault", "disorder"),
        "hours": (22, 23, 0, 1),
        "weekdays": ALL_WEEK,
        "place_type": "entertainment_venue",
        "rate": 0.4,
    },
)


@dataclass
class Hotspot:
    """One planted hotspot (internal form, metres)."""

    hotspot_id: str
    kind: str
    template: str
    x: float
    y: float
    radius_m: float
    categories: tuple[str, ...]
    hours: tuple[int, ...]
    weekdays: tuple[int, ...]
    place_type: str | None
    segment: int | None
    start: date
    rate: float


@dataclass
class Events:
    """Case events before they become records: one entry per case."""

    category: np.ndarray  # index into CATEGORIES
    t_true: np.ndarray  # seconds since 1970-01-01, Beijing wall time
    x: np.ndarray
    y: np.ndarray
    place_type: np.ndarray  # object array of place-type names
    signal: np.ndarray  # object array: "" for background, else the signal's id

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        """Stack several event sets."""
        return Events(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Events))
        )


@dataclass
class Signals:
    """All planted signals of one bureau."""

    hotspots: list[Hotspot]
    near_repeat: dict
    zero_since: dict[int, date]  # community index -> first day of its case-free streak
    events: Events


def day_seconds(d: date) -> int:
    """Seconds from 1970-01-01 to the start of a day."""
    return (d - EPOCH).days * DAY_S


def plant_signals(bureau: Bureau, rng: np.random.Generator, start: date, end: date) -> Signals:
    """Choose hotspot sites, a near-repeat series and zero-case villages, and make their events."""
    hotspots = _place_hotspots(bureau, rng, start, end)
    parts = [_hotspot_events(bureau, rng, h, end) for h in hotspots]
    taken = [(h.x, h.y) for h in hotspots]
    near_repeat, nr_events = _near_repeat(bureau, rng, start, end, taken)
    parts.append(nr_events)
    zero_since = _zero_communities(bureau, rng, start, end)
    return Signals(hotspots, near_repeat, zero_since, Events.concat(parts))


def _far_enough(x: float, y: float, taken: list[tuple[float, float]], gap: float) -> bool:
    return all(np.hypot(x - tx, y - ty) >= gap for tx, ty in taken)


def _place_hotspots(
    bureau: Bureau, rng: np.random.Generator, start: date, end: date
) -> list[Hotspot]:
    """Five stable hotspots and one emerging one, 900 m apart or more, mostly in the county town."""
    com = bureau.communities
    seg = bureau.segments
    kind = com["settlement"].to_numpy()
    core_segments = np.flatnonzero(
        (kind[seg["community_index"].to_numpy()] == "core") & (seg["length_m"].to_numpy() <= 600)
    )
    sites = np.flatnonzero(np.isin(kind, ("core", "town_seat")))
    cx, cy = com["x_m"].to_numpy(), com["y_m"].to_numpy()
    mid_x = (seg["ax_m"].to_numpy() + seg["bx_m"].to_numpy()) / 2
    mid_y = (seg["ay_m"].to_numpy() + seg["by_m"].to_numpy()) / 2
    chosen = [
        STABLE_TEMPLATES[i] for i in sorted(rng.choice(len(STABLE_TEMPLATES), 5, replace=False))
    ]
    chosen.append(EMERGING_TEMPLATES[int(rng.integers(len(EMERGING_TEMPLATES)))])
    hotspots: list[Hotspot] = []
    taken: list[tuple[float, float]] = []
    emerging_start = max(start, end - timedelta(days=int(rng.integers(35, 50))))
    for k, tpl in enumerate(chosen):
        emerging = k == len(chosen) - 1
        for _ in range(500):
            if tpl["place_type"] is None:
                s = int(rng.choice(core_segments))
                x, y, segment = mid_x[s], mid_y[s], s
            else:
                c = int(rng.choice(sites))
                x, y = cx[c] + rng.normal(0, 120), cy[c] + rng.normal(0, 120)
                segment = None
            if _far_enough(x, y, taken, MIN_SEPARATION_M):
                break
        taken.append((x, y))
        hotspots.append(
            Hotspot(
                hotspot_id=f"{bureau.spec.bureau_id}-H{k + 1:02d}",
                kind="emerging" if emerging else "stable",
                template=tpl["name"],
                x=float(x),
                y=float(y),
                radius_m=float(np.round(rng.uniform(100, 200), 0)),
                categories=tuple(tpl["categories"]),
                hours=tuple(tpl["hours"]),
                weekdays=tuple(tpl["weekdays"]),
                place_type=tpl["place_type"],
                segment=segment,
                start=emerging_start if emerging else start,
                rate=float(tpl["rate"]),
            )
        )
    return hotspots


def _hotspot_events(bureau: Bureau, rng: np.random.Generator, h: Hotspot, end: date) -> Events:
    """Extra cases at one hotspot: Poisson per active day, at its hours, inside its radius."""
    days = np.array([day_seconds(h.start) + k * DAY_S for k in range((end - h.start).days + 1)])
    iso = np.array([(h.start + timedelta(days=k)).isoweekday() for k in range(len(days))])
    active = np.isin(iso, h.weekdays)
    if h.kind == "emerging":
        # fixed weekly totals (not Poisson) so that it really grows week over week
        week = np.arange(len(days)) // 7
        counts = np.zeros(len(days), dtype=np.int64)
        for k in range(week.max() + 1):
            in_week = np.flatnonzero(week == k)
            n_week = int(round(h.rate * (k + 1) * len(in_week)))
            np.add.at(counts, rng.choice(in_week, size=n_week), 1)
    else:
        lam = np.full(len(days), h.rate * 7 / len(h.weekdays))
        counts = rng.poisson(np.where(active, lam, 0.0))
    n = int(counts.sum())
    day0 = np.repeat(days, counts)
    hours = np.asarray(h.hours)[rng.integers(0, len(h.hours), n)]
    t = day0 + hours * 3600 + rng.integers(0, 3600, n)
    cats = np.array([category_index(c) for c in h.categories])[
        rng.integers(0, len(h.categories), n)
    ]
    if h.segment is not None:
        seg = bureau.segments.row(h.segment, named=True)
        ax, ay, bx, by = seg["ax_m"], seg["ay_m"], seg["bx_m"], seg["by_m"]
        length = float(np.hypot(bx - ax, by - ay))
        along = np.clip(0.5 + rng.uniform(-1, 1, n) * h.radius_m / length, 0, 1)
        nx, ny = -(by - ay) / length, (bx - ax) / length
        side = rng.normal(0, 8, n)
        x = ax + along * (bx - ax) + side * nx
        y = ay + along * (by - ay) + side * ny
        place = np.full(n, "street", dtype=object)
    else:
        r = h.radius_m * np.sqrt(rng.random(n))
        a = rng.random(n) * 2 * np.pi
        x, y = h.x + r * np.cos(a), h.y + r * np.sin(a)
        place = np.full(n, h.place_type, dtype=object)
    return Events(cats, t, x, y, place, np.full(n, h.hotspot_id, dtype=object))


def _near_repeat(
    bureau: Bureau,
    rng: np.random.Generator,
    start: date,
    end: date,
    taken: list[tuple[float, float]],
) -> tuple[dict, Events]:
    """A burglary followed by 4–6 more within 180 m and 13 days, inside the last 30 days."""
    com = bureau.communities
    core = np.flatnonzero(com["settlement"].to_numpy() == "core")
    for _ in range(500):
        c = int(rng.choice(core))
        x0 = com["x_m"][c] + rng.normal(0, 150)
        y0 = com["y_m"][c] + rng.normal(0, 150)
        if _far_enough(x0, y0, taken, 600.0):
            break
    first = max(start, end - timedelta(days=int(rng.integers(18, 27))))
    n_follow = int(rng.integers(4, 7))
    offsets = np.sort(rng.integers(1, 14, n_follow))
    offsets = np.concatenate([[0], offsets])
    offsets = offsets[[first + timedelta(days=int(o)) <= end for o in offsets]]
    n = len(offsets)
    night = np.array([22, 23, 0, 1, 2, 3, 4])
    t = (
        day_seconds(first)
        + offsets * DAY_S
        + night[rng.integers(0, len(night), n)] * 3600
        + rng.integers(0, 3600, n)
    )
    r = np.concatenate([[0.0], 180 * np.sqrt(rng.random(n - 1))])
    a = rng.random(n) * 2 * np.pi
    x, y = x0 + r * np.cos(a), y0 + r * np.sin(a)
    series_id = f"{bureau.spec.bureau_id}-NR01"
    truth = {
        "series_id": series_id,
        "x": float(x0),
        "y": float(y0),
        "radius_m": 200.0,
        "window_days": 14,
        "start_date": first.isoformat(),
        "end_date": (first + timedelta(days=int(offsets[-1]))).isoformat(),
    }
    events = Events(
        np.full(n, category_index("burglary")),
        t,
        x,
        y,
        np.full(n, "residential_compound", dtype=object),
        np.full(n, series_id, dtype=object),
    )
    return truth, events


def _zero_communities(
    bureau: Bureau, rng: np.random.Generator, start: date, end: date
) -> dict[int, date]:
    """Three or four small villages that have had no case for the last 100–160 days each."""
    com = bureau.communities
    village = np.flatnonzero(com["settlement"].to_numpy() == "village")
    pop = com["population"].to_numpy()[village]
    small = village[pop <= np.quantile(pop, 0.3)]
    n = 3 + int(rng.random() < 0.5)
    picked = sorted(int(i) for i in rng.choice(small, size=min(n, len(small)), replace=False))
    span = (end - start).days + 1
    return {i: end - timedelta(days=min(span, int(rng.integers(100, 161))) - 1) for i in picked}


def community_of(bureau: Bureau, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the nearest community (the one whose jurisdiction a point is in)."""
    return nearest_point(
        x, y, bureau.communities["x_m"].to_numpy(), bureau.communities["y_m"].to_numpy()
    )
