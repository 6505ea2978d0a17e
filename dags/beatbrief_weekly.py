"""
### beatbrief_weekly: the commander view every Monday morning

Runs at 07:30 Beijing time every Monday, after the daily run of 06:00 has briefed on Sunday,
and writes, for each bureau (mapped over the bureaus, as the daily DAG is),
`HOME/trends/<date>/bureau-<bureau_id>.html`: 13-month and 3-year trend lines with the same
period last year and control bands, emerging hotspots per community, the league table of its
stations on the four KPIs and the norms, and links down to every station's briefing. Then the
province's commander view, `HOME/trends/<date>/index.html`: each bureau's cases over 13 months
against last year and the league of bureaus, linking down to each bureau's view; and the
index site, `HOME/index.html`.

**Link to the daily DAG, through Assets.** The daily DAG's `publish` task emits the asset
`beatbrief://briefings/daily`. This DAG's task declares it as an **inlet** (so the Airflow UI
shows the lineage daily → briefing → weekly) and emits `beatbrief://trends/weekly` as its
outlet. It is scheduled by a **cron timetable**, not by the asset: in Airflow 3.3
`AssetOrTimeSchedule` (airflow/timetables/assets.py) triggers on the timetable **or** on every
asset event, so with a daily asset it would run every day. The page is built for the latest
day on or before Sunday that has a published briefing, so a late daily run gives last
Saturday's view, never a half-built one.

All work lives in `reports/trends.py` (with `reports/series.py` and `reports/schedule.py`);
this file only wires it. See docs/ARCHITECTURE.md#pages.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, CronTriggerTimetable, dag, task

BRIEFING = Asset("beatbrief://briefings/daily")
TRENDS = Asset("beatbrief://trends/weekly")
BUREAU_POOL = "beatbrief_bureaus"  # as in beatbrief_daily: one writer per bureau file


@dag(
    dag_id="beatbrief_weekly",
    schedule=CronTriggerTimetable("30 7 * * 1", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["beatbrief", "weekly", "trends"],
    default_args={
        "owner": "beatbrief",
        "retries": 2,
        # the warehouse has one writer: a daily run still holding it makes this wait, not fail
        "retry_delay": pendulum.duration(minutes=10),
    },
)
def beatbrief_weekly():
    @task
    def bureaus() -> list[str]:
        """The bureaus of the routed station references."""
        from beatbrief.config import Settings
        from transforms.route import known_bureaus

        return known_bureaus(Settings.from_env())

    @task(inlets=[BRIEFING], pool=BUREAU_POOL)
    def publish_trends(bureau: str, **context) -> str:
        """Publish a bureau's commander view of the week ending the Sunday before the run."""
        from beatbrief.config import Settings, as_of_date
        from reports.trends import publish_trends, weekly_as_of

        settings = Settings.from_env()
        as_of = weekly_as_of(settings, as_of_date(context["logical_date"]))
        return str(publish_trends(settings.for_bureau(bureau), as_of))

    @task(outlets=[TRENDS])
    def publish_province_trends(**context) -> str:
        """Publish the province's commander view of the same week."""
        from beatbrief.config import Settings, as_of_date
        from reports.province import publish_province_trends
        from reports.trends import weekly_as_of

        settings = Settings.from_env()
        as_of = weekly_as_of(settings, as_of_date(context["logical_date"]))
        return str(publish_province_trends(settings, as_of))

    publish_trends.expand(bureau=bureaus()) >> publish_province_trends()


beatbrief_weekly()
