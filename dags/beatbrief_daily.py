"""
### beatbrief_daily: landing files to the morning briefing

Runs at 06:00 Beijing time and briefs on the previous day (the run's logical date,
read in Asia/Shanghai). Per feed, in reference-first order:

1. **ingest**: load every landed file up to the logical date that is not yet in
   `load_manifest` (keyed by the file's SHA-256) into the feed's raw table, as one batch.
2. **validate**: run the feed's Great Expectations checkpoint on that batch; rows that fail a
   row-level rule go to `quarantine`, the rest are accepted; a batch-level failure (unreadable
   file, broken schema, missing or collapsed day) rejects the files, records the feed as failed
   in `feed_status` and fails the task, without holding back the other feeds.

Then **transform** builds the DuckDB SQL models (staging → intermediate → marts) for the day,
even when a feed failed, and **publish** writes tomorrow's patrol plans
(`HOME/plans/<date>/<station_id>.csv`) and the day's pages (`HOME/briefings/<date>/index.html`
and one page per station), with a banner naming any failed feed and what the figures exclude.
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
from airflow.sdk import Asset, CronDataIntervalTimetable, TaskGroup, TriggerRule, dag, task

from beatbrief.feeds import FEED_NAMES
from beatbrief.outcome import record_error, report_success

BRIEFING = Asset("beatbrief://briefings/daily")


@dag(
    dag_id="beatbrief_daily",
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=1,  # one DuckDB writer at a time
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
    # A feed that fails does not hold the others back, and the day is still briefed: the
    # briefing then carries a banner naming the failed feed (docs/data-quality.md).
    @task(trigger_rule=TriggerRule.ALL_DONE)
    def ingest(feed: str, **context) -> dict:
        """Load the feed's new landed files into its raw table."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from transforms.ingest import LandingError, ingest_feed

        try:
            return ingest_feed(Settings.from_env(), feed, as_of_date(context["logical_date"]))
        except LandingError as error:  # a broken landing folder does not mend on retry
            raise AirflowFailException(str(error)) from error

    @task
    def validate(feed: str, loaded: dict, **context) -> dict:
        """Check the feed's new batch with its GX suite; quarantine failing rows."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from expectations.validate import FeedValidationError, validate_feed

        try:
            return validate_feed(Settings.from_env(), feed, as_of_date(context["logical_date"]))
        except FeedValidationError as error:  # bad data does not mend on retry
            raise AirflowFailException(str(error)) from error

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def transform(**context) -> dict:
        """Build staging, intermediate and mart models for the day."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from transforms.runner import ModelError, build_models

        try:
            return build_models(Settings.from_env(), as_of_date(context["logical_date"]))
        except ModelError as error:  # a model that fails on the data fails again on retry
            raise AirflowFailException(str(error)) from error

    @task(outlets=[BRIEFING])
    def publish(built: dict, **context) -> str:
        """Write tomorrow's patrol plans, publish the day's pages; return the briefing's path."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from reports.paths import UnsafeIdError
        from reports.plans import write_patrol_plans
        from reports.publish import publish_briefing

        settings, day = Settings.from_env(), as_of_date(context["logical_date"])
        try:
            write_patrol_plans(settings, day)
            return str(publish_briefing(settings, day))
        except UnsafeIdError as error:  # an id from the data does not mend on retry
            raise AirflowFailException(str(error)) from error

    previous = None
    for feed in FEED_NAMES:  # reference first, so later feeds are checked against it
        with TaskGroup(group_id=feed) as group:
            loaded = ingest.override(task_id="ingest")(feed)
            validate.override(task_id="validate")(feed, loaded)
        if previous is not None:
            previous >> group
        previous = group

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def finish(**context) -> dict:
        """Fail the run if any task failed (naming the first and its error) or any feed did not
        arrive whole; this task is the run's one leaf, so the run's state is its verdict."""
        from airflow.sdk.exceptions import AirflowFailException

        from beatbrief.config import Settings, as_of_date
        from beatbrief.outcome import ERROR_KEY, failed_tasks, failure_line
        from expectations.validate import FeedValidationError, assert_feeds_ok

        ti, day = context["ti"], as_of_date(context["logical_date"])
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id])[ti.run_id]
        order = [t for t in context["dag"].task_ids if t != ti.task_id]
        errors = {t: ti.xcom_pull(task_ids=t, key=ERROR_KEY) for t in failed_tasks(states, order)}
        line = failure_line(ti.dag_id, day.isoformat(), states, order, errors)
        if line is not None:
            raise AirflowFailException(line)
        try:
            return assert_feeds_ok(Settings.from_env(), day)
        except FeedValidationError as error:
            raise AirflowFailException(str(error)) from error

    built = transform()
    previous >> built
    published = publish(built)
    [previous, built, published] >> finish()


beatbrief_daily()
