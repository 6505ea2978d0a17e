"""
### beatbrief_daily: landing files to the morning briefing

Runs at 06:00 Beijing time and briefs on the previous day (the run's logical date,
read in Asia/Shanghai). The bureau (公安局/分局) is the unit of work and of storage.

1. **route**, per feed in reference-first order: every landed file up to the logical date not
   yet routed is read once, streamed, and each row goes to its bureau's share
   (HOME/bureaus/<bureau_id>/landing/); a row naming no known station goes to the province's
   quarantine (transforms/route.py).
2. **bureaus** lists the bureaus of the station references, and the task group **bureau** is
   mapped over them (`.expand`): each bureau runs its own chain on its own DuckDB file, in
   parallel with the others as far as the pool `beatbrief_bureaus` allows. Per feed:
   - **ingest**: load the bureau's new shares into the feed's raw table, as one batch;
   - **validate**: run the feed's Great Expectations checkpoint on that batch; rows that fail
     a row-level rule go to `quarantine`, the rest are accepted; a batch-level failure
     (unreadable file, broken schema, missing or collapsed day) rejects the files, records the
     feed as failed in `feed_status` and fails the task, without holding back the other feeds;
   then **transform** builds the DuckDB SQL models (staging → intermediate → marts) for the
   day, even when a feed failed, and **publish** writes tomorrow's patrol plans
   (`HOME/plans/<date>/<station_id>.csv`) and the bureau's pages
   (`HOME/briefings/<date>/bureau-<bureau_id>.html` and one page per station), with a banner
   naming any failed feed and what the figures exclude.
3. **province** builds the province marts from the bureau warehouses and writes the province
   roll-up, `HOME/briefings/<date>/index.html`, which names a bureau whose run failed.

Last, **finish** (trigger rule `all_done`, downstream of every task) makes the run's state tell
the truth: it fails, naming the first failed task and its error (each task records its error
in the XCom `error` when it fails), if any task failed or did not run because of one; and it
fails if any feed did not arrive whole, so that failure is not lost behind a published briefing.
A feed that fails still gets a briefing with a banner; a pipeline that fails never ends green.

All work lives in `transforms/`, `expectations/` and `reports/`; this file only wires it.
`HOME` is `$BEATBRIEF_HOME`. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import (
    Asset,
    CronDataIntervalTimetable,
    TaskGroup,
    TriggerRule,
    dag,
    task,
    task_group,
)

from beatbrief.feeds import FEED_NAMES
from beatbrief.outcome import record_error, report_success

BRIEFING = Asset("beatbrief://briefings/daily")
# caps the bureaus worked on at once (one writer per bureau file, a few GB each); made by
# `make cluster`, and Airflow's default_pool where it does not exist (docs/ARCHITECTURE.md)
BUREAU_POOL = "beatbrief_bureaus"


@dag(
    dag_id="beatbrief_daily",
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    # bureaus run side by side, each task on its own bureau's file; the pool caps how many
    max_active_tasks=64,
    doc_md=__doc__,
    tags=["beatbrief", "daily", "briefing"],
    default_args={
        "owner": "beatbrief",
        "retries": 2,
        "retry_delay": pendulum.duration(minutes=1),
        "on_failure_callback": record_error,
        "on_success_callback": report_success,  # one progress line per task
    },
)
def beatbrief_daily():
    @task(trigger_rule=TriggerRule.ALL_DONE)
    def route(feed: str, **context) -> dict:
        """Split the feed's new landed files into their bureaus' shares."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from transforms.ingest import LandingError
        from transforms.route import route_feed

        try:
            return route_feed(Settings.from_env(), feed, as_of_date(context["logical_date"]))
        except LandingError as error:  # a broken landing folder does not mend on retry
            raise AirflowFailException(str(error)) from error

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def bureaus() -> list[str]:
        """The bureaus of the routed station references: one mapped chain each."""
        from beatbrief.config import Settings
        from transforms.route import known_bureaus

        return known_bureaus(Settings.from_env())

    # A feed that fails does not hold the others back, and the day is still briefed: the
    # briefing then carries a banner naming the failed feed (docs/data-quality.md).
    @task(trigger_rule=TriggerRule.ALL_DONE, pool=BUREAU_POOL)
    def ingest(feed: str, bureau: str, **context) -> dict:
        """Load the bureau's new shares of the feed into its raw table."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from transforms.ingest import LandingError, ingest_feed

        settings = Settings.from_env().for_bureau(bureau)
        try:
            loaded = ingest_feed(settings, feed, as_of_date(context["logical_date"]))
            return loaded | {"bureau": bureau}
        except LandingError as error:  # a broken landing folder does not mend on retry
            raise AirflowFailException(str(error)) from error

    @task(pool=BUREAU_POOL)
    def validate(feed: str, bureau: str, loaded: dict, **context) -> dict:
        """Check the feed's new batch with its GX suite; quarantine failing rows."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from expectations.validate import FeedValidationError, validate_feed

        settings = Settings.from_env().for_bureau(bureau)
        try:
            return validate_feed(settings, feed, as_of_date(context["logical_date"])) | {
                "bureau": bureau
            }
        except FeedValidationError as error:  # bad data does not mend on retry
            raise AirflowFailException(str(error)) from error

    @task(trigger_rule=TriggerRule.ALL_DONE, pool=BUREAU_POOL)
    def transform(bureau: str, **context) -> dict:
        """Build the bureau's staging, intermediate and mart models for the day."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from transforms.runner import ModelError, build_models

        settings = Settings.from_env().for_bureau(bureau)
        try:
            return build_models(settings, as_of_date(context["logical_date"])) | {"bureau": bureau}
        except ModelError as error:  # a model that fails on the data fails again on retry
            raise AirflowFailException(str(error)) from error

    @task(pool=BUREAU_POOL)
    def publish(bureau: str, built: dict, **context) -> str:
        """Write tomorrow's patrol plans and the bureau's pages; return its page's path."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from reports.paths import UnsafeIdError
        from reports.plans import write_patrol_plans
        from reports.publish import publish_pages

        settings = Settings.from_env().for_bureau(bureau)
        day = as_of_date(context["logical_date"])
        try:
            write_patrol_plans(settings, day)
            return str(publish_pages(settings, day)["pages"][0])
        except UnsafeIdError as error:  # an id from the data does not mend on retry
            raise AirflowFailException(str(error)) from error

    @task_group(group_id="bureau")
    def bureau_day(bureau: str):
        """One bureau's day: its feeds in reference-first order, its marts, its pages."""
        previous = None
        for feed in FEED_NAMES:  # reference first, so later feeds are checked against it
            with TaskGroup(group_id=feed) as group:
                loaded = ingest.override(task_id="ingest")(feed, bureau)
                validate.override(task_id="validate")(feed, bureau, loaded)
            if previous is not None:
                previous >> group
            previous = group
        built = transform(bureau)
        previous >> built
        publish(bureau, built)

    @task(trigger_rule=TriggerRule.ALL_DONE, outlets=[BRIEFING])
    def province(**context) -> str:
        """Build the province marts from the bureau files; write the province roll-up."""
        from beatbrief.config import Settings, as_of_date
        from reports.province import publish_province

        return str(publish_province(Settings.from_env(), as_of_date(context["logical_date"])))

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def finish(**context) -> dict:
        """Fail the run if any task failed (naming the first and its error) or any feed did not
        arrive whole; this task is the run's one leaf, so the run's state is its verdict."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from beatbrief.outcome import ERROR_KEY, failed_tasks, failure_line, instance_order
        from expectations.validate import FeedValidationError, assert_province_ok

        ti, day = context["ti"], as_of_date(context["logical_date"])
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id])[ti.run_id]
        names = ti.xcom_pull(task_ids="bureaus") or []
        order = instance_order([t for t in context["dag"].task_ids if t != ti.task_id], states)
        errors = {
            key: ti.xcom_pull(task_ids=task_id, map_indexes=index, key=ERROR_KEY)
            for key, (task_id, index) in order.items()
            if key in failed_tasks(states, list(order))
        }
        line = failure_line(ti.dag_id, day.isoformat(), states, list(order), errors, names)
        if line is not None:
            raise AirflowFailException(line)
        try:
            return assert_province_ok(Settings.from_env(), day, names)
        except FeedValidationError as error:
            raise AirflowFailException(str(error)) from error

    routed = None
    for feed in FEED_NAMES:  # reference first: later feeds are routed by the references
        step = route.override(task_id=f"route_{feed}")(feed)
        if routed is not None:
            routed >> step
        routed = step
    names = bureaus()
    routed >> names
    days = bureau_day.expand(bureau=names)
    rollup = province()
    days >> rollup
    [names, days, rollup] >> finish()


beatbrief_daily()
