"""Case categories: mix, kind, time-of-day profile, occurrence window and place types.

Shares follow the rough make-up of a northern Chinese county's 110 calls: about a quarter are
disputes, a third are help requests and lost property, and the rest are crimes and public-order
violations (telecom fraud now the largest criminal category after theft).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beatbrief.feeds import load_schema

# Occurrence-hour weights for hours 0..23. Every profile is quiet between 3 and 6 am.
HOUR_PROFILES = {
    "day": ".2 .15 .1 .06 .06 .12 .4 .8 1.2 1.5 1.6 1.5 1.4 1.4 1.5 1.5 1.5 1.4 1.2 1 .8 .6 .4 .3",
    "night": "1.5 1.6 1.4 .9 .6 .5 .5 .4 .4 .5 .5 .5 .5 .5 .5 .5 .5 .6 .7 .8 .9 1 1.2 1.4",
    "evening": ".7 .5 .3 .12 .08 .1 .2 .4 .6 .7 .8 .9 .9 .9 .9 1 1.1 1.3 1.6 1.9 2 1.9 1.5 1.1",
    "commute": ".2 .1 .08 .05 .05 .2 .7 1.8 1.6 1 .9 1 1.1 1 .9 1.1 1.5 1.9 1.5 1 .8 .6 .4 .3",
    "general": (
        ".6 .4 .25 .12 .1 .15 .4 .8 1.1 1.2 1.2 1.2 1.2 1.2 1.2 1.3 1.4 1.5 1.7 1.9 1.9 1.7 1.3 .9"
    ),
}
# Weekday multipliers, Monday first: fights and disorder peak on Friday and Saturday nights.
WEEKDAY_PROFILES = {
    "weekend": [0.88, 0.88, 0.9, 0.95, 1.15, 1.3, 1.1],
    "flat": [1.0, 0.99, 0.99, 1.0, 1.02, 1.03, 0.97],
    "workday": [1.08, 1.06, 1.05, 1.05, 1.05, 0.9, 0.81],
}
# Occurrence windows: (min span h, max span h, min report delay min, max report delay min).
WINDOWS = {
    "instant": (0.0, 0.25, 2, 30),
    "short": (0.5, 3.0, 5, 60),
    "long": (2.0, 14.0, 10, 90),
    "fraud": (1.0, 48.0, 30, 1440),
    "lost": (1.0, 6.0, 10, 120),
}


@dataclass(frozen=True)
class Category:
    """How one case category behaves."""

    name: str
    share: float
    kinds: dict[str, float]
    hours: str
    weekdays: str
    window: str
    urban_places: dict[str, float]
    rural_places: dict[str, float]
    rural_factor: float
    suspect_known: float


CATEGORIES = (
    Category(
        "theft",
        0.10,
        {"criminal": 0.55, "public_order": 0.45},
        "day",
        "flat",
        "short",
        {
            "shop": 0.3,
            "market": 0.2,
            "street": 0.15,
            "workplace": 0.15,
            "residential_compound": 0.2,
        },
        {"rural_village": 0.7, "shop": 0.15, "street": 0.15},
        0.9,
        0.15,
    ),
    Category(
        "burglary",
        0.045,
        {"criminal": 1.0},
        "night",
        "flat",
        "long",
        {"residential_compound": 0.8, "shop": 0.15, "workplace": 0.05},
        {"rural_village": 0.9, "shop": 0.1},
        1.0,
        0.1,
    ),
    Category(
        "vehicle_theft",
        0.035,
        {"criminal": 0.6, "public_order": 0.4},
        "night",
        "flat",
        "long",
        {"residential_compound": 0.6, "street": 0.25, "market": 0.1, "school_area": 0.05},
        {"rural_village": 0.8, "street": 0.2},
        0.8,
        0.1,
    ),
    Category(
        "pickpocketing",
        0.02,
        {"criminal": 0.7, "public_order": 0.3},
        "day",
        "weekend",
        "short",
        {"market": 0.35, "transport_station": 0.3, "street": 0.2, "shop": 0.15},
        {"market": 0.6, "street": 0.4},
        0.2,
        0.1,
    ),
    Category(
        "fraud",
        0.075,
        {"criminal": 0.85, "public_order": 0.15},
        "day",
        "workday",
        "fraud",
        {"residential_compound": 0.7, "shop": 0.1, "workplace": 0.1, "other": 0.1},
        {"rural_village": 0.9, "other": 0.1},
        0.8,
        0.05,
    ),
    Category(
        "robbery",
        0.005,
        {"criminal": 1.0},
        "night",
        "flat",
        "instant",
        {"street": 0.7, "residential_compound": 0.2, "shop": 0.1},
        {"street": 0.6, "rural_village": 0.4},
        0.5,
        0.3,
    ),
    Category(
        "assault",
        0.065,
        {"public_order": 0.8, "criminal": 0.2},
        "evening",
        "weekend",
        "instant",
        {
            "entertainment_venue": 0.25,
            "street": 0.25,
            "residential_compound": 0.2,
            "internet_cafe": 0.1,
            "hotel": 0.05,
            "market": 0.05,
            "school_area": 0.1,
        },
        {"rural_village": 0.7, "street": 0.3},
        0.8,
        0.7,
    ),
    Category(
        "drugs",
        0.008,
        {"criminal": 0.5, "public_order": 0.5},
        "night",
        "weekend",
        "instant",
        {"hotel": 0.4, "entertainment_venue": 0.3, "residential_compound": 0.3},
        {"rural_village": 1.0},
        0.4,
        1.0,
    ),
    Category(
        "gambling",
        0.015,
        {"public_order": 1.0},
        "evening",
        "weekend",
        "instant",
        {"residential_compound": 0.5, "entertainment_venue": 0.3, "shop": 0.2},
        {"rural_village": 1.0},
        1.5,
        0.8,
    ),
    Category(
        "disorder",
        0.055,
        {"public_order": 1.0},
        "evening",
        "weekend",
        "instant",
        {
            "entertainment_venue": 0.3,
            "street": 0.3,
            "internet_cafe": 0.15,
            "market": 0.1,
            "transport_station": 0.1,
            "hotel": 0.05,
        },
        {"street": 0.4, "rural_village": 0.6},
        0.6,
        0.6,
    ),
    Category(
        "prostitution",
        0.007,
        {"public_order": 1.0},
        "night",
        "weekend",
        "instant",
        {"hotel": 0.6, "entertainment_venue": 0.4},
        {"hotel": 1.0},
        0.2,
        1.0,
    ),
    Category(
        "neighbour_dispute",
        0.09,
        {"dispute": 1.0},
        "evening",
        "weekend",
        "instant",
        {"residential_compound": 0.9, "street": 0.1},
        {"rural_village": 1.0},
        1.6,
        0.7,
    ),
    Category(
        "family_dispute",
        0.075,
        {"dispute": 1.0},
        "evening",
        "weekend",
        "instant",
        {"residential_compound": 1.0},
        {"rural_village": 1.0},
        1.3,
        0.7,
    ),
    Category(
        "commercial_dispute",
        0.04,
        {"dispute": 1.0},
        "day",
        "flat",
        "instant",
        {"shop": 0.5, "market": 0.3, "workplace": 0.15, "entertainment_venue": 0.05},
        {"shop": 0.5, "rural_village": 0.5},
        0.5,
        0.7,
    ),
    Category(
        "traffic_dispute",
        0.045,
        {"dispute": 1.0},
        "commute",
        "workday",
        "instant",
        {"street": 1.0},
        {"street": 1.0},
        1.0,
        0.7,
    ),
    Category(
        "lost_property",
        0.08,
        {"other": 1.0},
        "day",
        "flat",
        "lost",
        {"street": 0.35, "transport_station": 0.2, "shop": 0.2, "market": 0.15, "school_area": 0.1},
        {"street": 0.5, "rural_village": 0.5},
        0.5,
        0.0,
    ),
    Category(
        "assistance",
        0.16,
        {"other": 1.0},
        "general",
        "flat",
        "instant",
        {"street": 0.35, "residential_compound": 0.4, "school_area": 0.05, "other": 0.2},
        {"rural_village": 0.7, "street": 0.3},
        1.0,
        0.0,
    ),
    Category(
        "other",
        0.08,
        {"other": 1.0},
        "general",
        "flat",
        "instant",
        {"other": 0.5, "street": 0.2, "residential_compound": 0.3},
        {"rural_village": 0.7, "other": 0.3},
        1.0,
        0.0,
    ),
)


def check_against_schema() -> None:
    """Fail early if the category table drifts from the cases contract."""
    schema = load_schema("cases")
    allowed = {
        "category": set(schema.column("category").values),
        "kind": set(schema.column("kind").values),
        "place_type": set(schema.column("place_type").values),
    }
    for c in CATEGORIES:
        assert c.name in allowed["category"], c.name
        assert set(c.kinds) <= allowed["kind"], c.kinds
        assert set(c.urban_places) | set(c.rural_places) <= allowed["place_type"], c.name
    assert abs(sum(c.share for c in CATEGORIES) - 1.0) < 1e-9


def category_index(name: str) -> int:
    """Position of a category in CATEGORIES."""
    return next(i for i, c in enumerate(CATEGORIES) if c.name == name)


def hour_weights(profile: str) -> np.ndarray:
    """Normalised occurrence-hour weights."""
    w = np.array(HOUR_PROFILES[profile].split(), dtype=float)
    assert len(w) == 24, profile
    return w / w.sum()
