"""Great Expectations plumbing shared by the row checks and the health checks: the
file-backed context, a checkpoint per suite, the result format (row ids only, never a feed
value), the runs' names, running a suite on a chunk, and the incremental Data Docs build with
its bounded history (the offline pages themselves: expectations/data_docs.py)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from expectations.suites import rule_name

DATASOURCE = "beatbrief"
DOCS_SITE = "beatbrief"


class FeedValidationError(RuntimeError):
    """A batch-level failure: names the feed, file, column and rule."""


@dataclass
class RuleOutcome:
    """What one expectation found in the batch (summed over its chunks)."""

    rule: str
    severity: str
    success: bool
    unexpected_count: int
    element_count: int | None = None
    row_ids: set[int] = field(default_factory=set)
    notes: str | None = None


# Row ids only: no feed value reaches a validation result, the GX stores or the Data Docs
# (exclude_unexpected_values drops the values from every list).
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["_row_id"],
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
}


def docs_dir(settings: Settings) -> Path:
    """The Data Docs site: HOME/quality/data_docs."""
    return settings.quality_dir / "data_docs"


def gx_context(settings: Settings):
    """The file-backed GX context under HOME/gx, with Data Docs written to HOME/quality, their
    pages loading only files of the site (data_docs.site_config)."""
    import great_expectations as gx
    from great_expectations.data_context import data_context_variables
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations.data_docs import site_config

    # this module logs "Stashing `FluentDatasource` ..." at INFO under its file's path
    logging.getLogger(data_context_variables.__file__).setLevel(logging.WARNING)
    settings.gx_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(settings.gx_dir))
    sites = context.config.data_docs_sites or {}
    config = site_config(docs_dir(settings))
    # a home made before the offline views (or with GX's default local_site) is brought up
    # to date
    if list(sites) != [DOCS_SITE] or sites[DOCS_SITE] != config:
        for name in list(sites):
            context.delete_data_docs_site(name)
        context.add_data_docs_site(site_name=DOCS_SITE, site_config=config)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    return context


def checkpoint_for(context, name: str, suite):
    """A checkpoint running `suite` on a whole-dataframe pandas batch. It has no actions: the
    Data Docs are built once per feed and run (build_docs), not once per chunk."""
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(DATASOURCE)
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch = asset.get_batch_definition("batch")
    except (KeyError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name, validation_definitions=[definition], actions=[], result_format=RESULT_FORMAT
        )
    )


# `<feed>-<YYYY-MM-DD>`, and `-<i>-of-<n>` for a chunk of the row check (batch.run_chunks)
RUN_DATE = re.compile(r"-(\d{4}-\d{2}-\d{2})(?:-\d+-of-\d+)?$")


def run_name_for(feed: str, as_of: date) -> str:
    """The name of a feed's GX runs for a briefing date (the health check's and, with a
    chunk suffix, the row check's): `<feed>-<YYYY-MM-DD>`."""
    return f"{feed}-{as_of.isoformat()}"


def run_date(run_id) -> date:
    """The briefing date a run is named after (run_name_for); the day it ran for a run named
    otherwise (`__none__` in homes older than the run names)."""
    found = RUN_DATE.search(run_id.run_name or "")
    return date.fromisoformat(found[1]) if found else run_id.run_time.date()


def build_docs(context, settings: Settings, feed: str, as_of: date) -> None:
    """Render the feed's suites and this run's validation results (every run named
    run_name_for(feed, as_of), chunks included) into the Data Docs site, and its index; first
    remove the feed's results of runs more than `data_docs_history_days` before `as_of` (the
    index build then removes their pages). Only these pages are rendered and the history is
    bounded, so a day costs the same after a 400-day backfill as on the first day."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    from expectations.data_docs import copy_vendored

    suites = (feed, f"{feed}_health")
    cutoff = as_of - timedelta(days=settings.data_docs_history_days)
    store = context.validation_results_store
    run_name = run_name_for(feed, as_of)
    results = []
    for key in store.list_keys():
        name = key.run_id.run_name or ""
        if key.expectation_suite_identifier.name in suites and run_date(key.run_id) < cutoff:
            store.remove_key(key)
        elif name == run_name or name.startswith(f"{run_name}-"):
            results.append(key)
    context.build_data_docs(
        site_names=[DOCS_SITE],
        resource_identifiers=[*(ExpectationSuiteIdentifier(name) for name in suites), *results],
    )
    copy_vendored(docs_dir(settings))


def run_suite(checkpoint, frame: pl.DataFrame, params: dict, run_name: str | None = None):
    """Run a checkpoint on a frame (which has a `_row_id` column); one outcome per expectation."""
    from great_expectations.core.run_identifier import RunIdentifier

    run_id = RunIdentifier(run_name=run_name) if run_name else None
    result = checkpoint.run(
        batch_parameters={"dataframe": gx_dataframe(frame)},
        expectation_parameters=params,
        run_id=run_id,
    )
    outcomes = []
    for validation in result.run_results.values():
        for item in validation.results:
            config = item.expectation_config
            found = item.result or {}
            ids = unexpected_row_ids(found.get("unexpected_index_list"))
            if item.exception_info and item.exception_info.get("raised_exception"):
                raise FeedValidationError(
                    f"{checkpoint.name}: expectation {rule_name(config)} could not run: "
                    f"{item.exception_info.get('exception_message')}"
                )
            outcomes.append(
                RuleOutcome(
                    rule=rule_name(config),
                    severity=str(getattr(config.severity, "value", config.severity)),
                    success=bool(item.success),
                    unexpected_count=int(found.get("unexpected_count") or len(ids)),
                    element_count=found.get("element_count"),
                    row_ids=ids,
                    notes=config.notes if isinstance(config.notes, str) else None,
                )
            )
    return outcomes


# The nanosecond timestamps' range (pandas' datetime64[ns]), a day inside at each end.
NS_RANGE = (datetime(1677, 9, 23), datetime(2262, 4, 10))


def gx_dataframe(frame: pl.DataFrame):
    """The pandas frame GX checks. Timestamps become datetime64[ns], the one unit GX 1.24's
    pandas `column_values.between` compares vectorised (any other unit goes through a Python
    call per value, about 5 s per million rows). Values beyond that range are clipped to its
    ends first; every bound a suite sets lies well inside it, so no verdict changes, and no
    value reaches a result (RESULT_FORMAT)."""
    timestamps = pl.col(pl.Datetime)
    return frame.with_columns(timestamps.clip(*NS_RANGE).dt.cast_time_unit("ns")).to_pandas()


def unexpected_row_ids(index_list) -> set[int]:
    """Row ids from GX's unexpected_index_list: `[{"_row_id": [ids]}]` when values are
    excluded, `[{"_row_id": id, ...}, ...]` otherwise."""
    ids: set[int] = set()
    for item in index_list or []:
        value = item["_row_id"]
        ids.update(int(v) for v in value) if isinstance(value, list) else ids.add(int(value))
    return ids
