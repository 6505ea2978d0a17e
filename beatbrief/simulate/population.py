"""Actual population (实有人口): monthly snapshots per community with slow drift and seasonality."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from beatbrief.simulate.geography import Bureau


def snapshot_dates(start: date, end: date) -> list[date]:
    """The first simulated day plus the 1st of every later month up to the end."""
    dates = [start]
    y, m = start.year, start.month
    while True:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        first = date(y, m, 1)
        if first > end:
            return dates
        dates.append(first)


def population_snapshots(
    bureau: Bureau, rng: np.random.Generator, dates: list[date]
) -> pl.DataFrame:
    """One row per community and snapshot date: registered, floating, rental households."""
    com = bureau.communities
    n = com.height
    actual = com["population"].to_numpy().astype(float)
    share = com["floating_share"].to_numpy()
    rural = com["area_type"].to_numpy() == "rural"
    months = np.array(
        [(d.year - dates[0].year) * 12 + d.month - dates[0].month + (d.day - 1) / 30 for d in dates]
    )
    # registered residents drift slowly: towns grow, villages lose young people to the cities
    drift = np.where(rural, -0.0015, 0.0008)
    steps = rng.normal(0, 0.0008, (len(dates), n))
    steps[0] = 0
    registered = actual * (1 - share) * np.exp(drift * months[:, None] + np.cumsum(steps, axis=0))
    # floating residents follow the building season: more in summer, fewer in winter
    month_of_year = np.array([d.month for d in dates])
    season = 1 + np.where(rural, 0.05, 0.10)[None, :] * np.sin(
        2 * np.pi * (month_of_year[:, None] - 4) / 12
    )
    floating = actual * share * season * np.exp(rng.normal(0, 0.02, (len(dates), n)))
    per_household = rng.uniform(1.9, 2.6, n)
    rental = floating / per_household + rng.normal(0, 3, (len(dates), n))
    return pl.DataFrame(
        {
            "community_id": np.tile(com["community_id"].to_numpy(), len(dates)).tolist(),
            "as_of_date": pl.Series(np.repeat(np.array(dates, dtype="datetime64[D]"), n)).cast(
                pl.Date
            ),
            "registered_residents": np.round(registered).astype(np.int64).ravel(),
            "floating_residents": np.round(floating).astype(np.int64).ravel(),
            "rental_households": np.maximum(0, np.round(rental)).astype(np.int64).ravel(),
        }
    )
