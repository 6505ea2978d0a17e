"""Forecast accountability: yesterday's hot cells scored against today's cases, Gi* against
persistence (cells, area share, cases captured, hit rate, PAI, PEI), per bureau of the page.

Query queries/forecast.sql (mart_forecast_accuracy); partial
templates/sections/forecast.html.j2.
"""

from __future__ import annotations

import polars as pl

from reports.data import Frames
from reports.messages import Messages
from reports.scope import Page, gather
from reports.views import DASH, fmt_int, fmt_num, fmt_pct

QUERIES = ("forecast",)


def forecast_rows(forecast: pl.DataFrame, msg: Messages) -> list[dict]:
    """Yesterday's hot cells scored against today's cases, Gi* against persistence."""
    if forecast.height == 0:
        return []
    rows = []
    for r in forecast.sort(["bureau_id", "method"]).iter_rows(named=True):
        available = bool(r["is_forecast_available"])
        rows.append(
            {
                "method": msg.label("forecast_method", r["method"]),
                "available": available,
                "forecast_date": r["forecast_date"].isoformat() if r["forecast_date"] else DASH,
                "cells": fmt_int(r["cells_selected"]),
                "area_share": fmt_pct(r["area_share"], 2),
                "captured": f"{fmt_int(r['cases_captured'])} / {fmt_int(r['cases_total'])}"
                if available
                else DASH,
                "hit_rate": fmt_pct(r["hit_rate"]),
                "pai": fmt_num(r["pai"]),
                "pei": fmt_pct(r["pei"]),
            }
        )
    return rows


def context(frames: Frames, page: Page) -> dict:
    """The scores of the page's bureaus."""
    forecast = gather(frames, "forecast", "bureau_id", page.scope.bureau_ids)
    return {"rows": forecast_rows(forecast, page.msg)}
