"""Settings and paths: every tunable of beatbrief is defined here once, with its default.

A setting can be overridden by an environment variable named ``BEATBRIEF_<NAME>`` (upper case),
for example ``BEATBRIEF_HOTSPOT_WINDOW_DAYS=14``. ``BEATBRIEF_HOME`` is the data root.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from beatbrief.feeds import SAFE_ID_PATTERN

REPO_ROOT = Path(__file__).resolve().parents[1]
TIMEZONE = "Asia/Shanghai"
SAFE_ID = re.compile(SAFE_ID_PATTERN)
LANGUAGES = ("zh-CN", "en")
# DuckDB's memory-limit form, as transforms/warehouse.py checks it before `set memory_limit`
MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*[KMGT]i?B", re.IGNORECASE)
# the words a boolean setting takes, in any case
BOOLEANS = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "on": True,
    "off": False,
}


# the file beatbrief.airflow_runner writes into each AIRFLOW_HOME it migrated
MIGRATED_MARKER = ".beatbrief-migrated"


def default_home() -> Path:
    """The data root: $BEATBRIEF_HOME; else, under the plain `airflow` CLI with only
    AIRFLOW_HOME set, the home whose airflow/ it is (beatbrief marks the homes it migrated);
    else ./var."""
    if "BEATBRIEF_HOME" in os.environ:
        return Path(os.environ["BEATBRIEF_HOME"])
    airflow_home = os.environ.get("AIRFLOW_HOME")
    if airflow_home and (Path(airflow_home) / MIGRATED_MARKER).is_file():
        return Path(airflow_home).parent
    return Path("var")


class SettingsError(ValueError):
    """A setting holds a value it does not allow. The message is one line: the BEATBRIEF_*
    variable, the value and what is allowed."""


@dataclass(frozen=True)
class Allowed:
    """What one setting allows besides its type, and the words that say so."""

    says: str
    check: Callable[[Any], bool]


def at_least(low: int) -> Allowed:
    """Numbers of `low` or more."""
    return Allowed(f"{low} or more", lambda value: value >= low)


def above(low: float) -> Allowed:
    """Numbers above `low`."""
    return Allowed(f"above {low}", lambda value: value > low)


def from_to(low: float, high: float) -> Allowed:
    """Numbers from `low` to `high`, both included."""
    return Allowed(f"from {low} to {high}", lambda value: low <= value <= high)


def one_of(*words: str) -> Allowed:
    """Exactly one of these words."""
    return Allowed("one of " + ", ".join(words), lambda value: value in words)


PROBABILITY = Allowed("above 0 and below 1", lambda value: 0 < value < 1)
SHARE = from_to(0, 1)
MEMORY = Allowed(
    "a memory size such as 4GB, 1536MB or 2.5GiB",
    lambda value: MEMORY_LIMIT.fullmatch(value) is not None,
)
# What each setting allows beyond its type (docs/ARCHITECTURE.md#configuration). A setting
# missing here takes any value of its type; a float is always finite.
ALLOWED: dict[str, Allowed] = {
    "language": one_of(*LANGUAGES),
    "grid_cell_m": above(0),
    "hotspot_window_days": at_least(1),
    "aoristic_max_window_hours": at_least(1),
    "baseline_weeks": at_least(1),
    "top_time_periods": at_least(1),
    "time_block_hours": from_to(1, 24),
    "trend_significance_z": above(0),
    "emerging_weeks": at_least(2),
    "emerging_trend_p": PROBABILITY,
    "near_repeat_lookback_days": at_least(1),
    "near_repeat_permutations": at_least(1),
    "near_repeat_seed": at_least(0),
    "near_repeat_min_events": at_least(0),
    "near_repeat_alpha": PROBABILITY,
    "near_repeat_alert_days": at_least(1),
    "forecast_top_k_cells": at_least(1),
    "forecast_baseline_days": at_least(1),
    "ping_max_gap_s": at_least(1),
    "ping_max_speed_kmh": above(0),
    "patrol_visit_minutes": above(0),
    "patrol_hot_class_min": from_to(1, 3),  # the Gi* hot classes are 1 (90%) to 3 (99%)
    "patrol_misaligned_hot_share": SHARE,
    # patrol_misaligned_max_z: any number, a mean Gi* z may be below 0
    "plan_capacity_days": at_least(1),
    "plan_directed_share": SHARE,
    "plan_max_entries": at_least(1),
    "plan_max_visit_minutes": at_least(1),
    "plan_alert_bonus_z": at_least(0),
    "officer_norm_urban": at_least(0),
    "officer_norm_town": at_least(0),
    "officer_norm_township": at_least(0),
    "force_share_norm_county": SHARE,
    "force_share_norm_urban_district": SHARE,
    "residents_per_officer_urban": at_least(1),
    "residents_per_officer_rural": at_least(1),
    "scorecard_window_days": at_least(1),
    "zero_incident_min_days": at_least(1),
    "repeat_dispute_min": at_least(1),
    "repeat_dispute_days": at_least(1),
    "bounds_margin_deg": at_least(0),
    "future_tolerance_minutes": at_least(0),
    "volume_min_ratio": at_least(0),
    "volume_max_ratio": above(0),
    "volume_trailing_days": at_least(1),
    "reference_max_key_drop": SHARE,
    "data_docs_history_days": at_least(1),
    "recompute_lookback_days": at_least(0),
    "ingest_batch_rows": at_least(1),
    "validate_chunk_rows": at_least(1),
    "load_memory_limit": MEMORY,
    "duckdb_threads": at_least(1),
    "duckdb_memory_limit": MEMORY,
}


def allowed_text(name: str, kind: type) -> str:
    """What a setting of this type allows, in words, for its error message."""
    if kind is bool:
        return "one of " + ", ".join(BOOLEANS) + " (any case)"
    rule = ALLOWED.get(name)
    noun = {int: "a whole number", float: "a number"}.get(kind)
    if noun is None:
        return rule.says if rule else "any text"
    return f"{noun}, {rule.says}" if rule else noun


def invalid(name: str, value, kind: type) -> SettingsError:
    """The one-line error for a value a setting does not allow."""
    return SettingsError(
        f"BEATBRIEF_{name.upper()}={value!r} is not allowed: expected {allowed_text(name, kind)}"
    )


def parse_value(name: str, raw: str, kind: type):
    """The text of a BEATBRIEF_* variable as the setting's type (SettingsError if it is none)."""
    text = raw.strip()
    try:
        if kind is bool:
            return BOOLEANS[text.lower()]
        if kind is int:
            return int(text)
        if kind is float and math.isfinite(value := float(text)):
            return value
        if kind is str:
            return text
    except (KeyError, ValueError):
        pass
    raise invalid(name, raw, kind)


def _env(name: str, default):
    """Read BEATBRIEF_<NAME> from the environment as the default's type."""
    raw = os.environ.get(f"BEATBRIEF_{name.upper()}")
    return default if raw is None else parse_value(name, raw, type(default))


def check_settings(settings: Settings) -> None:
    """Raise SettingsError for the first setting whose value its rule does not allow."""
    for name, rule in ALLOWED.items():
        value = getattr(settings, name)
        if not rule.check(value):
            raise invalid(name, value, type(getattr(Settings, name)))  # the default's type
    if settings.volume_min_ratio > settings.volume_max_ratio:
        raise SettingsError(
            f"BEATBRIEF_VOLUME_MIN_RATIO={settings.volume_min_ratio!r} is not allowed: expected "
            f"at most BEATBRIEF_VOLUME_MAX_RATIO={settings.volume_max_ratio!r}"
        )


@dataclass(frozen=True)
class Settings:
    """All settings, with defaults; see docs/ARCHITECTURE.md#configuration."""

    home: Path = field(default_factory=lambda: default_home())
    # the bureau a task works on: "" is the province, or a home kept in one warehouse (the
    # in-process steps and their tests); see for_bureau and docs/ARCHITECTURE.md#bureaus
    bureau: str = ""
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
    # near repeat (Knox test): days of cases looked at, the most permutations a band draws
    # (Besag-Clifford: a band stops once 10 reach its observed count) and their seed, the fewest
    # located cases a bureau's category needs, p at or below which a band is significant, and
    # the days of recent cases that raise alerts
    near_repeat_lookback_days: int = 180
    near_repeat_permutations: int = 999
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
    # GX validation results (and their Data Docs pages) of runs more than this many days
    # before the briefing date are removed, so a Data Docs rebuild's cost stays bounded
    data_docs_history_days: int = 90
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

    def __post_init__(self) -> None:
        """Refuse a value a setting does not allow (ALLOWED), in code as from the environment."""
        check_settings(self)

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> Settings:
        """Settings with BEATBRIEF_* environment overrides applied; SettingsError (one line)
        for a value its setting does not allow."""
        base = cls() if home is None else cls(home=Path(home))
        overrides = {
            f.name: _env(f.name, getattr(base, f.name))
            for f in dataclasses.fields(cls)
            if f.name not in ("home", "bureau")
        }
        return dataclasses.replace(base, **overrides)

    def for_bureau(self, bureau_id: str) -> Settings:
        """The same settings, working on one bureau's files under HOME/bureaus/<bureau_id>/."""
        if not SAFE_ID.fullmatch(bureau_id or ""):
            raise ValueError(f"bureau id {bureau_id!r} is not a safe folder name")
        return dataclasses.replace(self, bureau=bureau_id)

    # paths -------------------------------------------------------------------------------------
    @property
    def data_home(self) -> Path:
        """Where the landing, warehouse, GX project and quality pages of this scope live: HOME,
        or HOME/bureaus/<bureau_id>/ for a bureau. Pages, plans and Airflow stay under HOME."""
        return self.home / "bureaus" / self.bureau if self.bureau else self.home

    @property
    def landing_dir(self) -> Path:
        """The landed files: the province's under HOME; a bureau's routed share of them."""
        return self.data_home / "landing"

    @property
    def province_path(self) -> Path:
        """The province's DuckDB file: routing state, unroutable rows, province marts."""
        return self.home / "province" / "province.duckdb"

    def landing_partition(self, feed: str, day: date) -> Path:
        """Folder where one feed's files for one day land."""
        return self.landing_dir / feed / day.isoformat()

    @property
    def warehouse_path(self) -> Path:
        return self.data_home / "warehouse" / "beatbrief.duckdb"

    @property
    def truth_dir(self) -> Path:
        return self.home / "truth"

    @property
    def quality_dir(self) -> Path:
        return self.data_home / "quality"

    @property
    def gx_dir(self) -> Path:
        return self.data_home / "gx"

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
