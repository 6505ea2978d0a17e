"""Settings and paths: every tunable of beatbrief is defined here once, with its default.

A setting can be overridden by an environment variable named ``BEATBRIEF_<NAME>`` (upper case),
for example ``BEATBRIEF_HOTSPOT_WINDOW_DAYS=14``. ``BEATBRIEF_HOME`` is the data root.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TIMEZONE = "Asia/Shanghai"


def _env(name: str, default):
    """Read BEATBRIEF_<NAME> from the environment, cast to the default's type."""
    raw = os.environ.get(f"BEATBRIEF_{name.upper()}")
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return type(default)(raw)


@dataclass(frozen=True)
class Settings:
    """All settings, with defaults; see docs/ARCHITECTURE.md#configuration."""

    home: Path = field(default_factory=lambda: Path(os.environ.get("BEATBRIEF_HOME", "var")))
    # language of the published pages: zh-CN (default) or en
    language: str = "zh-CN"
    # metrics
    grid_cell_m: float = 250.0
    hotspot_window_days: int = 28
    aoristic_max_window_hours: int = 72
    # hotspots: Benjamini-Hochberg FDR correction of the Gi* p-values (see docs/metrics.md)
    hotspot_fdr: bool = False
    # road segments and places: weeks of history before the window that give the expected count
    baseline_weeks: int = 52
    # top time periods (时段): how many per station, and the length of a period in hours
    top_time_periods: int = 5
    time_block_hours: int = 3
    # CompStat trends: |poisson_z| at or above this is flagged is_significant
    trend_significance_z: float = 2.0
    # emerging hotspots (Esri's Emerging Hot Spot Analysis on weekly Gi*): weeks in the series,
    # and the two-sided Mann-Kendall p below which a trend counts as significant
    emerging_weeks: int = 12
    emerging_trend_p: float = 0.05
    # near repeat (Knox test): days of cases looked at, permutations and their seed, the fewest
    # located cases a bureau's category needs, p at or below which a band is significant, and
    # the days of recent cases that raise alerts
    near_repeat_lookback_days: int = 180
    near_repeat_permutations: int = 99
    near_repeat_seed: int = 20261128
    near_repeat_min_events: int = 30
    near_repeat_alpha: float = 0.05
    near_repeat_alert_days: int = 3
    # forecast accountability: hot cells scored per bureau, and the days of the persistence
    # baseline (the cells with the most cases in the days before)
    forecast_top_k_cells: int = 20
    forecast_baseline_days: int = 28
    # patrols
    ping_max_gap_s: int = 120
    ping_max_speed_kmh: float = 150.0
    # deployment (docs/metrics.md): Koper's dose in minutes, the hot_class that makes a hot cell,
    # a team is flagged misaligned below both this share of minutes in hot cells and this
    # minutes-weighted mean Gi* z
    patrol_visit_minutes: float = 15.0
    patrol_hot_class_min: int = 2
    patrol_misaligned_hot_share: float = 0.25
    patrol_misaligned_max_z: float = 1.645
    # next-day patrol plan: capacity = mean daily officer-hours of the last plan_capacity_days
    # days x plan_directed_share; at most plan_max_entries entries of at most
    # plan_max_visit_minutes each; an active near-repeat alert adds plan_alert_bonus_z to a
    # cell's score
    plan_capacity_days: int = 7
    plan_directed_share: float = 0.3
    plan_max_entries: int = 20
    plan_max_visit_minutes: int = 60
    plan_alert_bonus_z: float = 2.0
    # station scorecard: the policy's norms (DOMAIN.md); the rural residents-per-officer norm is
    # cut off in the source, so its default is an assumption to confirm
    officer_norm_urban: int = 20
    officer_norm_town: int = 10
    officer_norm_township: int = 5
    force_share_norm_county: float = 0.40
    force_share_norm_urban_district: float = 0.50
    residents_per_officer_urban: int = 5000
    residents_per_officer_rural: int = 3000
    scorecard_window_days: int = 28
    zero_incident_min_days: int = 90
    repeat_dispute_min: int = 3
    repeat_dispute_days: int = 90
    # validation (docs/data-quality.md)
    # jurisdiction bounds = extent of the reference data widened by this many degrees
    bounds_margin_deg: float = 0.05
    # a timestamp may lie this far past the end of the briefing day (clock skew)
    future_tolerance_minutes: int = 60
    # a daily feed's rows for the day must lie within these multiples of the trailing median
    volume_min_ratio: float = 0.5
    volume_max_ratio: float = 2.0
    volume_trailing_days: int = 28
    # a full reference delivery may drop at most this share of the previous delivery's keys;
    # more fails the feed and keeps the previous reference in force
    reference_max_key_drop: float = 0.2
    # late records: marts of earlier days within this many days are rebuilt when they change
    recompute_lookback_days: int = 28
    # bounded memory: rows per batch when reading a landed file, and per GX validation chunk,
    # and DuckDB's memory limit while loading (the rest of the process holds one chunk); at
    # these defaults a province day's 41 million pings validate within 3.9 GiB of RSS
    ingest_batch_rows: int = 1_000_000
    validate_chunk_rows: int = 500_000
    load_memory_limit: str = "1536MB"
    # duckdb
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "4GB"

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> Settings:
        """Settings with BEATBRIEF_* environment overrides applied."""
        base = cls() if home is None else cls(home=Path(home))
        overrides = {
            f.name: _env(f.name, getattr(base, f.name))
            for f in dataclasses.fields(cls)
            if f.name != "home"
        }
        return dataclasses.replace(base, **overrides)

    # paths -------------------------------------------------------------------------------------
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    def landing_partition(self, feed: str, day: date) -> Path:
        """Folder where one feed's files for one day land."""
        return self.landing_dir / feed / day.isoformat()

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse" / "beatbrief.duckdb"

    @property
    def truth_dir(self) -> Path:
        return self.home / "truth"

    @property
    def quality_dir(self) -> Path:
        return self.home / "quality"

    @property
    def gx_dir(self) -> Path:
        return self.home / "gx"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    def briefing_dir(self, day: date) -> Path:
        return self.home / "briefings" / day.isoformat()

    def plans_dir(self, day: date) -> Path:
        """Folder of the patrol plans (one CSV per station) for the day they plan."""
        return self.home / "plans" / day.isoformat()


def as_of_date(logical_date) -> date:
    """The day a run briefs on: the logical date, read as a Beijing-time calendar date."""
    import pendulum

    return pendulum.instance(logical_date).in_timezone(TIMEZONE).date()
