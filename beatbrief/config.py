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
    # patrols
    ping_max_gap_s: int = 120
    ping_max_speed_kmh: float = 150.0
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


def as_of_date(logical_date) -> date:
    """The day a run briefs on: the logical date, read as a Beijing-time calendar date."""
    import pendulum

    return pendulum.instance(logical_date).in_timezone(TIMEZONE).date()
