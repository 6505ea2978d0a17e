"""Feed contracts: one YAML file per feed, read by the simulator, readers, GX suites and docs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

FEEDS_DIR = Path(__file__).parent
# Load order matters: reference data first, so later feeds can be checked against it.
FEED_NAMES = (
    "stations",
    "communities",
    "road_segments",
    "population",
    "cases",
    "patrol_shifts",
    "patrol_pings",
)
TYPES = ("string", "integer", "float", "timestamp", "date", "boolean")
# Ids that become file names (station pages, patrol plans, bureau pages): letters, digits, '_'
# and '-', starting with a letter or digit, at most 64. Validation quarantines any other value
# (rule expect_column_values_to_match_regex), and the publisher refuses it again.
SAFE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
# Longest text a string column may hold unless its contract says otherwise (`max_length`).
DEFAULT_MAX_LENGTH = 256


@dataclass(frozen=True)
class Column:
    """One column of a feed."""

    name: str
    type: str
    required: bool
    zh: str
    description: str
    values: tuple[str, ...] | None = None
    references: str | None = None
    pii: str | None = None
    file_name: bool = False  # the value becomes a file name: it must match SAFE_ID_PATTERN
    max_length: int | None = None  # longest text allowed (string columns)


@dataclass(frozen=True)
class FeedSchema:
    """The contract of one feed."""

    feed: str
    title_zh: str
    title_en: str
    group: str
    grain: str
    key: tuple[str, ...]
    partition_by: str | None
    max_age_days: int | None  # freshness: the newest partition may be this many days old
    volume_check: bool  # compare the day's rows with the trailing days'
    formats: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def pii_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.pii]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@cache
def load_schema(feed: str) -> FeedSchema:
    """Parse and check one feed's YAML contract."""
    doc = yaml.safe_load((FEEDS_DIR / f"{feed}.yaml").read_text(encoding="utf-8"))
    columns = []
    for raw in doc["columns"]:
        if raw["type"] not in TYPES:
            raise ValueError(f"{feed}.{raw['name']}: unknown type {raw['type']!r}")
        values = raw.get("values")
        columns.append(
            Column(
                name=raw["name"],
                type=raw["type"],
                required=bool(raw["required"]),
                zh=raw["zh"],
                description=raw["description"],
                values=tuple(values) if values else None,
                references=raw.get("references"),
                pii=raw.get("pii"),
                file_name=bool(raw.get("file_name", False)),
                max_length=raw.get(
                    "max_length", DEFAULT_MAX_LENGTH if raw["type"] == "string" else None
                ),
            )
        )
    return FeedSchema(
        feed=doc["feed"],
        title_zh=doc["title"]["zh"],
        title_en=doc["title"]["en"],
        group=doc["group"],
        grain=doc["grain"],
        key=tuple(doc["key"]),
        partition_by=doc.get("partition_by"),
        max_age_days=doc.get("max_age_days"),
        volume_check=bool(doc.get("volume_check", False)),
        formats=tuple(doc["formats"]),
        columns=tuple(columns),
    )


def all_schemas() -> list[FeedSchema]:
    """Every feed's contract, in load order."""
    return [load_schema(name) for name in FEED_NAMES]
