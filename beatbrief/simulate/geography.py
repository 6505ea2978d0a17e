"""Reference geography of a bureau: stations, communities and villages, and the road network."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from beatbrief.simulate import names
from beatbrief.simulate.geo import M_PER_DEG_LAT, LocalProjection, nearest_point

OFFICER_NORM = {"urban": 20, "town": 10, "township": 5}
URBAN_STREET_SPACING_M = 500.0
URBAN_COMMUNITY_SPACING_M = 800.0
DEMO_CENTRE = (125.30, 43.90)
PROVINCE_CELL_M = 42_000.0


@dataclass(frozen=True)
class BureauSpec:
    """What to build for one county/city bureau or urban district sub-bureau."""

    index: int
    admin_code: str
    place_name: str
    bureau_type: str
    lon0: float
    lat0: float
    n_urban: int
    n_town: int
    n_township: int
    half_m: float
    urban_half_m: float
    population: int

    @property
    def bureau_id(self) -> str:
        return f"{self.admin_code}000000"

    @property
    def bureau_name(self) -> str:
        suffix = "公安分局" if self.bureau_type == "urban_district" else "公安局"
        return self.place_name + suffix


@dataclass(frozen=True)
class RoadGraph:
    """Junction nodes and straight segments between them, with a padded adjacency matrix."""

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    neighbours: np.ndarray  # (n_nodes, max_degree), -1 where a node has fewer neighbours


@dataclass(frozen=True)
class Bureau:
    """A built bureau: reference frames (schema columns plus internal *_m helpers) and roads."""

    spec: BureauSpec
    proj: LocalProjection
    stations: pl.DataFrame
    communities: pl.DataFrame
    segments: pl.DataFrame
    roads: RoadGraph

    def bounds(self) -> dict[str, float]:
        """The bureau's square in WGS-84 degrees."""
        h = self.spec.half_m
        lon_min, lat_min = self.proj.to_lonlat(-h, -h)
        lon_max, lat_max = self.proj.to_lonlat(h, h)
        return {
            "lon_min": float(lon_min),
            "lat_min": float(lat_min),
            "lon_max": float(lon_max),
            "lat_max": float(lat_max),
        }


class _RoadBuilder:
    """Accumulates nodes and named segments while the network is laid out."""

    def __init__(self) -> None:
        self.x: list[float] = []
        self.y: list[float] = []
        self.label: list[str] = []
        self.edges: list[tuple[int, int, str, str]] = []

    def node(self, x: float, y: float, label: str) -> int:
        self.x.append(float(x))
        self.y.append(float(y))
        self.label.append(label)
        return len(self.x) - 1

    def edge(self, u: int, v: int, road: str, segment: str) -> None:
        self.edges.append((u, v, road, segment))

    def grid(self, cx: float, cy: float, half: float, ew: list[str], ns: list[str]) -> np.ndarray:
        """A street grid: EW roads (路) crossing NS streets (街); returns node ids [row, col]."""
        xs = np.linspace(cx - half, cx + half, len(ns))
        ys = np.linspace(cy - half, cy + half, len(ew))
        ids = np.array(
            [
                [self.node(x, y, f"{ew[r]}与{ns[c]}路口") for c, x in enumerate(xs)]
                for r, y in enumerate(ys)
            ]
        )
        for r in range(len(ew)):
            for c in range(len(ns) - 1):
                self.edge(ids[r, c], ids[r, c + 1], ew[r], f"{ew[r]}({ns[c]}—{ns[c + 1]})")
        for c in range(len(ns)):
            for r in range(len(ew) - 1):
                self.edge(ids[r, c], ids[r + 1, c], ns[c], f"{ns[c]}({ew[r]}—{ew[r + 1]})")
        return ids

    def highway(self, a: int, b: int, road: str, max_piece_m: float = 2000.0) -> None:
        """A straight rural road from node a to b cut into pieces named by kilometre stakes."""
        length = math.hypot(self.x[b] - self.x[a], self.y[b] - self.y[a])
        pieces = max(1, math.ceil(length / max_piece_m))
        chain = [a]
        for k in range(1, pieces):
            f = k / pieces
            chain.append(
                self.node(
                    self.x[a] + f * (self.x[b] - self.x[a]),
                    self.y[a] + f * (self.y[b] - self.y[a]),
                    f"{road}{_stake(f * length)}",
                )
            )
        chain.append(b)
        for k in range(pieces):
            self.edge(
                chain[k],
                chain[k + 1],
                road,
                f"{road}({_stake(k * length / pieces)}—{_stake((k + 1) * length / pieces)})",
            )

    def graph(self) -> RoadGraph:
        u = np.array([e[0] for e in self.edges], dtype=np.int64)
        v = np.array([e[1] for e in self.edges], dtype=np.int64)
        n = len(self.x)
        adjacency: list[list[int]] = [[] for _ in range(n)]
        for a, b in zip(u.tolist(), v.tolist(), strict=True):
            adjacency[a].append(b)
            adjacency[b].append(a)
        width = max(len(a) for a in adjacency)
        neighbours = np.full((n, width), -1, dtype=np.int64)
        for i, adj in enumerate(adjacency):
            neighbours[i, : len(adj)] = adj
        return RoadGraph(np.array(self.x), np.array(self.y), u, v, neighbours)


def _stake(metres: float) -> str:
    """Kilometre stake notation used on Chinese highways, e.g. K3+250."""
    m = int(round(metres))
    return f"K{m // 1000}+{m % 1000:03d}"


def province_specs(
    scale: str, rng: np.random.Generator, bureaus: int | None = None
) -> list[BureauSpec]:
    """Bureau specs: the demo county alone, or about 60 bureaus of a province around it; with
    `bureaus`, the first that many of the province (the demo county first)."""
    county = {
        "bureau_type": "county",
        "n_urban": 4,
        "n_town": 4,
        "n_township": 4,
        "half_m": 20_000.0,
        "urban_half_m": 2_500.0,
    }
    district = {
        "bureau_type": "urban_district",
        "n_urban": 8,
        "n_town": 2,
        "n_township": 0,
        "half_m": 10_000.0,
        "urban_half_m": 4_000.0,
        "population": 650_000,
    }
    demo = BureauSpec(
        index=0,
        admin_code="220199",
        place_name="示范县",
        lon0=DEMO_CENTRE[0],
        lat0=DEMO_CENTRE[1],
        population=500_000,
        **county,
    )
    if (bureaus or 0) > 60:
        raise ValueError(f"a simulated province has at most 60 bureaus, not {bureaus}")
    if bureaus == 1 or (scale == "county" and bureaus is None):
        return [demo]
    specs = [demo]
    stems = [names.COUNTY_STEMS[i] for i in rng.permutation(len(names.COUNTY_STEMS))]
    m_lon = LocalProjection(*DEMO_CENTRE).m_per_deg_lon
    n_district = 6
    # an 8 x 8 grid of 42-km cells; the demo county keeps its own cell
    cells = [(c - 3, r - 4) for r in range(8) for c in range(8) if (c, r) != (3, 4)]
    for i, (dx, dy) in enumerate(cells[:59], start=1):
        lon0 = DEMO_CENTRE[0] + dx * PROVINCE_CELL_M / m_lon
        lat0 = DEMO_CENTRE[1] + dy * PROVINCE_CELL_M / M_PER_DEG_LAT
        if i <= n_district:  # the first bureaus are the provincial capital's districts
            specs.append(
                BureauSpec(
                    index=i,
                    admin_code=f"2201{i + 1:02d}",
                    place_name=f"{stems[i]}区",
                    lon0=lon0,
                    lat0=lat0,
                    **district,
                )
            )
        else:
            city, k = divmod(i - n_district - 1, 7)
            place = f"{stems[i]}{'市' if k == 0 else '县'}"  # the first of each city is a 县级市
            specs.append(
                BureauSpec(
                    index=i,
                    admin_code=f"22{city + 2:02d}{k + 21:02d}",
                    place_name=place,
                    lon0=lon0,
                    lat0=lat0,
                    population=int(rng.integers(380_000, 560_000)),
                    **county,
                )
            )
    return specs[:bureaus]


def build_bureau(spec: BureauSpec, rng: np.random.Generator) -> Bureau:
    """Lay out one bureau: county town grid, town/township seats, villages, roads, staffing."""
    proj = LocalProjection(spec.lon0, spec.lat0)
    roads = _RoadBuilder()
    stems = list(names.ROAD_STEMS)
    perm = [stems[i] for i in rng.permutation(len(stems))]
    n_lines = int(round(2 * spec.urban_half_m / URBAN_STREET_SPACING_M)) + 1
    town_ew = [s + "路" for s in perm[:n_lines]]
    town_ns = [s + "街" for s in perm[n_lines : 2 * n_lines]]
    spare = perm[2 * n_lines :]
    core = roads.grid(0.0, 0.0, spec.urban_half_m, town_ew, town_ns)

    station_rows, community_rows = _urban_part(spec, rng, roads, core)
    seats = _seats(spec, rng, roads, core, spare, station_rows, community_rows)
    _villages(spec, rng, roads, station_rows, community_rows, seats)
    graph = roads.graph()

    communities = _community_frame(spec, proj, rng, community_rows, station_rows)
    stations = _station_frame(spec, proj, rng, station_rows)
    segments = _segment_frame(spec, proj, roads, graph, communities)
    return Bureau(spec, proj, stations, communities, segments, graph)


def _urban_part(
    spec: BureauSpec, rng: np.random.Generator, roads: _RoadBuilder, core: np.ndarray
) -> tuple[list[dict], list[dict]]:
    """Urban stations spread over the county town and its 社区 on a jittered grid."""
    w = spec.urban_half_m
    n_inner = 1 if spec.n_urban > 5 else 0
    ring = spec.n_urban - n_inner
    positions = [(0.0, 0.0)] * n_inner + [
        (
            0.6 * w * math.cos(2 * math.pi * k / ring + math.pi / 4),
            0.6 * w * math.sin(2 * math.pi * k / ring + math.pi / 4),
        )
        for k in range(ring)
    ]
    gx, gy = np.array(roads.x), np.array(roads.y)
    core_nodes = core.ravel()
    stems = [names.URBAN_STATION_STEMS[i] for i in rng.permutation(len(names.URBAN_STATION_STEMS))]
    stations = []
    for k, (px, py) in enumerate(positions):
        node = int(
            core_nodes[
                nearest_point(np.array([px]), np.array([py]), gx[core_nodes], gy[core_nodes])[0]
            ]
        )
        stations.append(
            {
                "name": f"{stems[k]}派出所",
                "type": "urban",
                "x": gx[node],
                "y": gy[node],
            }
        )
    n_side = max(2, int(round(2 * w / URBAN_COMMUNITY_SPACING_M)))
    cell = 2 * w / n_side
    cnames = names.unique_names(rng, n_side * n_side, names.community_name)
    communities = []
    for i in range(n_side):
        for j in range(n_side):
            cx = -w + (i + 0.5) * cell + rng.normal(0, 0.08 * cell)
            cy = -w + (j + 0.5) * cell + rng.normal(0, 0.08 * cell)
            communities.append(
                {
                    "name": cnames[len(communities)],
                    "area": "urban",
                    "x": cx,
                    "y": cy,
                    "radius": 0.62 * cell,
                    "kind": "core",
                    "population": rng.uniform(5000, 9000),
                    "floating_share": rng.uniform(0.15, 0.30),
                }
            )
    sx = np.array([s["x"] for s in stations])
    sy = np.array([s["y"] for s in stations])
    owner = nearest_point(
        np.array([c["x"] for c in communities]), np.array([c["y"] for c in communities]), sx, sy
    )
    for c, o in zip(communities, owner.tolist(), strict=True):
        c["station"] = o
    return stations, communities


def _seats(
    spec: BureauSpec,
    rng: np.random.Generator,
    roads: _RoadBuilder,
    core: np.ndarray,
    spare: list[str],
    stations: list[dict],
    communities: list[dict],
) -> list[int]:
    """Town and township seats on a ring around the county town, with their grids and roads."""
    # interleave towns and townships around the ring so that each direction has both
    kinds: list[str] = []
    towns, townships = spec.n_town, spec.n_township
    while towns or townships:
        if towns:
            kinds.append("town")
            towns -= 1
        if townships:
            kinds.append("township")
            townships -= 1
    n = len(kinds)
    stems = [names.TOWN_STEMS[i] for i in rng.permutation(len(names.TOWN_STEMS))]
    w, h = spec.urban_half_m, spec.half_m
    gx, gy = np.array(roads.x), np.array(roads.y)
    boundary = np.array([i for i in core.ravel() if max(abs(gx[i]), abs(gy[i])) >= w - 1])
    seat_nodes: list[int] = []
    offset = rng.uniform(0, 2 * math.pi)
    for k, kind in enumerate(kinds):
        angle = offset + 2 * math.pi * k / n + rng.normal(0, 0.12)
        frac = rng.uniform(0.3, 0.5) if kind == "town" else rng.uniform(0.6, 0.8)
        radius = w + (h - w) * frac
        sx, sy = radius * math.cos(angle), radius * math.sin(angle)
        size, spacing = (4, 400.0) if kind == "town" else (3, 350.0)
        pick = [spare[i] for i in rng.choice(len(spare), size=2 * size, replace=False)]
        grid = roads.grid(
            sx,
            sy,
            spacing * (size - 1) / 2,
            [s + "路" for s in pick[:size]],
            [s + "街" for s in pick[size:]],
        )
        centre = int(grid[size // 2, size // 2])
        stem = stems[k]
        suffix = "镇" if kind == "town" else "乡"
        stations.append(
            {
                "name": f"{stem}{suffix}派出所",
                "type": kind,
                "x": roads.x[centre],
                "y": roads.y[centre],
            }
        )
        station = len(stations) - 1
        if kind == "town":
            for cname in names.unique_names(
                rng, 3, names.community_name, {c["name"] for c in communities}
            ):
                communities.append(
                    {
                        "name": cname,
                        "area": "urban",
                        "station": station,
                        "x": sx + rng.normal(0, 350),
                        "y": sy + rng.normal(0, 350),
                        "radius": 350.0,
                        "kind": "town_seat",
                        "population": rng.uniform(3000, 6000),
                        "floating_share": rng.uniform(0.10, 0.20),
                    }
                )
        else:
            communities.append(
                {
                    "name": f"{stem}村",
                    "area": "rural",
                    "station": station,
                    "x": sx,
                    "y": sy,
                    "radius": 400.0,
                    "kind": "township_seat",
                    "population": rng.uniform(2500, 4000),
                    "floating_share": rng.uniform(0.04, 0.08),
                }
            )
        # the county road enters the seat at its grid corner nearest the county town
        corner = min(grid.ravel().tolist(), key=lambda i: math.hypot(roads.x[i], roads.y[i]))
        target = int(
            boundary[
                np.argmin(np.hypot(gx[boundary] - roads.x[corner], gy[boundary] - roads.y[corner]))
            ]
        )
        roads.highway(corner, target, f"县道X{101 + k}")
        seat_nodes.append(centre)
    for k in range(n):  # township roads (乡道) link neighbouring seats into a ring
        a, b = seat_nodes[k], seat_nodes[(k + 1) % n]
        if n > 2 or k == 0:
            roads.highway(a, b, f"乡道Y{k + 1:03d}")
    return seat_nodes


def _villages(
    spec: BureauSpec,
    rng: np.random.Generator,
    roads: _RoadBuilder,
    stations: list[dict],
    communities: list[dict],
    seats: list[int],
) -> None:
    """Villages by rejection sampling (spaced ≥ 1.3 km), owned by the nearest station, on 通村路."""
    target = 12 * spec.n_town + 14 * spec.n_township
    if spec.bureau_type == "urban_district":
        target = 10 * spec.n_town
    w, h = spec.urban_half_m, spec.half_m
    px: list[float] = []
    py: list[float] = []
    seat_x = np.array([roads.x[s] for s in seats])
    seat_y = np.array([roads.y[s] for s in seats])
    cand = rng.uniform(-h + 800, h - 800, size=(40 * target, 2))
    for x, y in cand:
        if len(px) == target:
            break
        if max(abs(x), abs(y)) < w + 1500 or np.min(np.hypot(seat_x - x, seat_y - y)) < 1500:
            continue
        if px and np.min(np.hypot(np.array(px) - x, np.array(py) - y)) < 1300:
            continue
        px.append(float(x))
        py.append(float(y))
    vx, vy = np.array(px), np.array(py)
    sx = np.array([s["x"] for s in stations])
    sy = np.array([s["y"] for s in stations])
    owner = nearest_point(vx, vy, sx, sy)
    taken = {c["name"] for c in communities}
    vnames = names.unique_names(rng, len(vx), names.village_name, taken)
    for k in range(len(vx)):
        pop = float(np.clip(rng.lognormal(math.log(1500), 0.45), 500, 4200))
        communities.append(
            {
                "name": vnames[k],
                "area": "rural",
                "station": int(owner[k]),
                "x": vx[k],
                "y": vy[k],
                "radius": 180.0 + pop / 15.0,
                "kind": "village",
                "population": pop,
                "floating_share": rng.uniform(0.03, 0.08),
            }
        )
    # Prim-style attachment: repeatedly connect the village closest to the existing network
    net = np.arange(len(roads.x))
    todo = list(range(len(vx)))
    while todo:
        nx, ny = np.array(roads.x)[net], np.array(roads.y)[net]
        d = np.hypot(vx[todo, None] - nx[None, :], vy[todo, None] - ny[None, :])
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        k, target_node = todo[i], int(net[j])
        node = roads.node(vx[k], vy[k], vnames[k])
        road = f"{vnames[k]}通村路"
        roads.edge(target_node, node, road, f"{road}({roads.label[target_node]}—{vnames[k]})")
        net = np.append(net, node)
        todo.remove(k)


def _community_frame(
    spec: BureauSpec,
    proj: LocalProjection,
    rng: np.random.Generator,
    rows: list[dict],
    stations: list[dict],
) -> pl.DataFrame:
    """Communities with ids, offices, 三个必建 flags and population scaled to the bureau total."""
    n = len(rows)
    x = np.array([r["x"] for r in rows])
    y = np.array([r["y"] for r in rows])
    station = np.array([r["station"] for r in rows])
    kind = np.array([r["kind"] for r in rows])
    area = np.array([r["area"] for r in rows])
    pop = np.array([r["population"] for r in rows])
    pop = pop * spec.population / pop.sum()
    rural = area == "rural"
    dist_to_station = np.hypot(
        x - np.array([stations[s]["x"] for s in station]),
        y - np.array([stations[s]["y"] for s in station]),
    )
    village = kind == "village"
    # 三个必建: the biggest villages are complex central villages; a couple of villages far from
    # their station were township seats before the mergers; villages over 10 km (6 km in a
    # district) from their station are remote
    central = village & (pop >= np.quantile(pop[village], 0.92)) if village.any() else village
    former = np.zeros(n, dtype=bool)
    if village.any():
        far = np.flatnonzero(village & ~central)
        far = far[np.argsort(-dist_to_station[far], kind="stable")]
        former[far[2:4]] = True
    remote_cut = 10_000.0 if spec.bureau_type == "county" else 6000.0
    remote = rural & (dist_to_station > remote_cut)
    if rural.any() and not remote.any():
        remote[np.flatnonzero(rural)[np.argmax(dist_to_station[rural])]] = True
    must_build = central | former | remote
    # offices: most communities have one; a few (some 必建 ones among them) do not; some are
    # unstaffed
    has_office = rng.random(n) < np.where(rural, 0.82, 0.95)
    lacking = np.flatnonzero(must_build)
    if len(lacking):
        has_office[rng.choice(lacking, size=min(2, len(lacking)), replace=False)] = False
    officers = np.where(
        rural, rng.choice([0, 1, 1, 1], size=n), rng.choice([0, 1, 1, 1, 1, 1, 1, 2, 2], size=n)
    )
    officers = np.where(has_office, officers, 0)
    lon, lat = proj.to_lonlat(x, y)
    township_code = np.array([100 + s for s in station])
    seq = np.zeros(n, dtype=int)
    counters: dict[int, int] = {}
    for i, s in enumerate(station.tolist()):
        counters[s] = counters.get(s, 0) + 1
        seq[i] = counters[s] + (200 if rural[i] else 0)
    ids = [f"{spec.admin_code}{t:03d}{q:03d}" for t, q in zip(township_code, seq, strict=True)]
    station_ids = _station_ids(spec, len(stations))
    return pl.DataFrame(
        {
            "community_id": ids,
            "community_name": [r["name"] for r in rows],
            "station_id": [station_ids[s] for s in station],
            "area_type": area.tolist(),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "radius_m": np.round([r["radius"] for r in rows], 1),
            "has_police_office": has_office,
            "office_officer_count": officers.astype(np.int64),
            "is_complex_central_village": central,
            "is_former_township_seat": former,
            "is_remote": remote,
            # internal helpers (not part of the feed)
            "x_m": x,
            "y_m": y,
            "station_index": station.astype(np.int64),
            "settlement": kind.tolist(),  # core, town_seat, township_seat or village
            "population": np.round(pop).astype(np.int64),
            "floating_share": np.array([r["floating_share"] for r in rows]),
        }
    )


def _station_ids(spec: BureauSpec, n: int) -> list[str]:
    """12-digit station codes under the bureau's admin code."""
    return [f"{spec.admin_code}{51 + k:02d}0000" for k in range(n)]


def _station_frame(
    spec: BureauSpec, proj: LocalProjection, rng: np.random.Generator, rows: list[dict]
) -> pl.DataFrame:
    """Stations with staffing: normally above the 20/10/5 norm, one of each type below it."""
    types = [r["type"] for r in rows]
    normal = {"urban": (22, 33), "town": (11, 18), "township": (6, 10)}
    short = {"urban": (14, 20), "town": (6, 10), "township": (3, 5)}
    counts = np.array([rng.integers(*normal[t]) for t in types], dtype=np.int64)
    for t in ("urban", "town", "township"):
        of_type = [i for i, tt in enumerate(types) if tt == t]
        if of_type:
            counts[of_type[int(rng.integers(len(of_type)))]] = rng.integers(*short[t])
    share = rng.uniform(0.35, 0.45) if spec.bureau_type == "county" else rng.uniform(0.44, 0.56)
    bureau_total = int(round(counts.sum() / share))
    lon, lat = proj.to_lonlat(np.array([r["x"] for r in rows]), np.array([r["y"] for r in rows]))
    return pl.DataFrame(
        {
            "station_id": _station_ids(spec, len(rows)),
            "station_name": [spec.place_name + r["name"] for r in rows],
            "station_type": types,
            "officer_count": counts,
            "bureau_id": [spec.bureau_id] * len(rows),
            "bureau_name": [spec.bureau_name] * len(rows),
            "bureau_type": [spec.bureau_type] * len(rows),
            "bureau_officer_count": [bureau_total] * len(rows),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "x_m": np.array([r["x"] for r in rows]),
            "y_m": np.array([r["y"] for r in rows]),
            "norm": np.array([OFFICER_NORM[t] for t in types], dtype=np.int64),
        }
    )


def _segment_frame(
    spec: BureauSpec,
    proj: LocalProjection,
    roads: _RoadBuilder,
    graph: RoadGraph,
    communities: pl.DataFrame,
) -> pl.DataFrame:
    """Road segments; a segment belongs to the station of the community nearest its midpoint."""
    ax, ay = graph.x[graph.u], graph.y[graph.u]
    bx, by = graph.x[graph.v], graph.y[graph.v]
    owner = nearest_point(
        (ax + bx) / 2, (ay + by) / 2, communities["x_m"].to_numpy(), communities["y_m"].to_numpy()
    )
    from_lon, from_lat = proj.to_lonlat(ax, ay)
    to_lon, to_lat = proj.to_lonlat(bx, by)
    n = len(ax)
    return pl.DataFrame(
        {
            "road_segment_id": [f"R{spec.admin_code}{k + 1:05d}" for k in range(n)],
            "road_name": [e[2] for e in roads.edges],
            "segment_name": [e[3] for e in roads.edges],
            "station_id": communities["station_id"].to_numpy()[owner].tolist(),
            "from_lon": np.round(from_lon, 6),
            "from_lat": np.round(from_lat, 6),
            "to_lon": np.round(to_lon, 6),
            "to_lat": np.round(to_lat, 6),
            "length_m": np.round(np.hypot(bx - ax, by - ay), 1),
            "ax_m": ax,
            "ay_m": ay,
            "bx_m": bx,
            "by_m": by,
            "community_index": owner,
        }
    )
