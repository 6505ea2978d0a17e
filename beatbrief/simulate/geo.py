"""Planar geometry helpers: a local metric projection, nearest neighbours and WGS-84 → GCJ-02."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Metres per degree of latitude on a sphere of the mean Earth radius (6371.0088 km).
M_PER_DEG_LAT = 111_195.08
_CHUNK = 4096


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection around a centre: scale within about ±0.6% over a county."""

    lon0: float
    lat0: float

    @property
    def m_per_deg_lon(self) -> float:
        return M_PER_DEG_LAT * math.cos(math.radians(self.lat0))

    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metres east/north of the centre to WGS-84 degrees."""
        return self.lon0 + np.asarray(x) / self.m_per_deg_lon, self.lat0 + np.asarray(
            y
        ) / M_PER_DEG_LAT

    def to_xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS-84 degrees to metres east/north of the centre."""
        return (np.asarray(lon) - self.lon0) * self.m_per_deg_lon, (
            np.asarray(lat) - self.lat0
        ) * M_PER_DEG_LAT


def nearest_point(px: np.ndarray, py: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for every point (brute force in chunks; centres are few)."""
    out = np.empty(len(px), dtype=np.int64)
    for lo in range(0, len(px), _CHUNK):
        dx = px[lo : lo + _CHUNK, None] - cx[None, :]
        dy = py[lo : lo + _CHUNK, None] - cy[None, :]
        out[lo : lo + _CHUNK] = np.argmin(dx * dx + dy * dy, axis=1)
    return out


def nearest_segment(
    px: np.ndarray, py: np.ndarray, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest line segment A→B for every point."""
    idx = np.empty(len(px), dtype=np.int64)
    dist = np.empty(len(px), dtype=float)
    vx, vy = bx - ax, by - ay
    vv = np.maximum(vx * vx + vy * vy, 1e-9)
    for lo in range(0, len(px), _CHUNK // 4):
        qx = px[lo : lo + _CHUNK // 4, None]
        qy = py[lo : lo + _CHUNK // 4, None]
        t = np.clip(((qx - ax) * vx + (qy - ay) * vy) / vv, 0.0, 1.0)
        dx = qx - (ax + t * vx)
        dy = qy - (ay + t * vy)
        d2 = dx * dx + dy * dy
        best = np.argmin(d2, axis=1)
        idx[lo : lo + _CHUNK // 4] = best
        dist[lo : lo + _CHUNK // 4] = np.sqrt(d2[np.arange(len(best)), best])
    return idx, dist


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The standard (public) WGS-84 → GCJ-02 offset used by Chinese map providers."""
    a = 6378245.0
    ee = 0.00669342162296594323
    x = np.asarray(lon, dtype=float) - 105.0
    y = np.asarray(lat, dtype=float) - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = np.asarray(lat, dtype=float) / 180.0 * np.pi
    magic = 1 - ee * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (a / sqrt_magic * np.cos(rad) * np.pi)
    return np.asarray(lon) + dlon, np.asarray(lat) + dlat


def uniform_in_disc(
    rng: np.random.Generator, cx: np.ndarray, cy: np.ndarray, radius: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random points inside discs (one point per centre)."""
    n = len(cx)
    r = np.asarray(radius) * np.sqrt(rng.random(n))
    theta = rng.random(n) * 2 * np.pi
    return cx + r * np.cos(theta), cy + r * np.sin(theta)
