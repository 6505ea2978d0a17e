"""A DAG run's outcome in one line: which task failed first, and with what error.

Every beatbrief task records its error as an XCom (`record_error`, the tasks'
`on_failure_callback`), so the last task of a DAG (`finish`) and `beatbrief run` can name the
task that failed and why without reading any log. Imports nothing of Airflow, so it is cheap to
use in a DAG file and in the CLI.
"""

from __future__ import annotations

import re
from datetime import UTC

from beatbrief.pii import mask_pii

ERROR_KEY = "error"
FAILED = "failed"
UPSTREAM_FAILED = "upstream_failed"
# the longest error text kept per task (the task log holds the whole traceback), and the
# longest one-line verdict (which quotes one task's error)
MAX_ERROR_CHARS = 600
MAX_LINE_CHARS = 2000
_SPACE = re.compile(r"\s+")
# exceptions that only tell Airflow not to retry: the cause is the real error
PASS_THROUGH = ("AirflowFailException",)


def one_line(error: BaseException | str | None, limit: int = MAX_ERROR_CHARS) -> str:
    """An error as one line: its type and message, whitespace folded, personal data masked."""
    if error is None:
        return "no error recorded"
    text = error if isinstance(error, str) else _describe(error)
    text = mask_pii(_SPACE.sub(" ", text).strip())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _describe(error: BaseException) -> str:
    """`Type: message`, naming the cause's type when a task re-raised it to skip retries."""
    if type(error).__name__ in PASS_THROUGH:
        cause = error.__cause__
        return f"{type(cause).__name__}: {error}" if cause is not None else str(error)
    return f"{type(error).__name__}: {error}"


def record_error(context) -> None:
    """on_failure_callback: keep the failed task's error, as one line, in its XCom `error`."""
    context["ti"].xcom_push(key=ERROR_KEY, value=one_line(context.get("exception"), MAX_LINE_CHARS))


def instance_order(
    task_ids: list[str], states: dict[str, str | None]
) -> dict[str, tuple[str, int | None]]:
    """The run's task instances in DAG order, as Airflow's task-state API names them (a mapped
    task's instances as `<task_id>_<map_index>`): key -> (task_id, map_index or None)."""
    order: dict[str, tuple[str, int | None]] = {}
    for task_id in task_ids:
        if task_id in states:
            order[task_id] = (task_id, None)
            continue
        indexes = sorted(
            int(key[len(task_id) + 1 :])
            for key in states
            if key.startswith(f"{task_id}_") and key[len(task_id) + 1 :].isdigit()
        )
        order |= {f"{task_id}_{i}": (task_id, i) for i in indexes}
    return order


def instance_label(key: str, names: list[str] | None = None) -> str:
    """A task instance's key as a reader wants it: a mapped instance named by what it was
    mapped over, `bureau.cases.validate[220199000000]`."""
    task_id, _, index = key.rpartition("_")
    if names and index.isdigit() and task_id.startswith("bureau.") and int(index) < len(names):
        return f"{task_id}[{names[int(index)]}]"
    return key


def failed_tasks(states: dict[str, str | None], order: list[str]) -> list[str]:
    """Task ids that failed, in DAG order, then those that did not run because of them."""
    failed = [t for t in order if states.get(t) == FAILED]
    upstream = [t for t in order if states.get(t) == UPSTREAM_FAILED]
    return failed + upstream


def failure_line(
    dag_id: str,
    day: str,
    states: dict[str, str | None],
    order: list[str],
    errors: dict[str, str],
    names: list[str] | None = None,
) -> str | None:
    """`<dag> <day> failed: <task>: <error>` for the first failed task, or None if none failed;
    `names` are what the mapped tasks were mapped over (the bureaus), to name their instances."""
    tasks = failed_tasks(states, order)
    if not tasks:
        return None
    first = tasks[0]
    line = f"{dag_id} {day} failed: {instance_label(first, names)}: {one_line(errors.get(first))}"
    others = [instance_label(t, names) for t in tasks[1:] if states.get(t) == FAILED]
    skipped = [instance_label(t, names) for t in tasks if states.get(t) == UPSTREAM_FAILED]
    if others:
        line += f" (also failed: {', '.join(others)})"
    if skipped:
        line += f" (not run: {', '.join(skipped)})"
    return line


def describe_result(value) -> str:
    """A task's return value in a few words: rows read, rows judged, models built, a path."""
    if isinstance(value, dict):
        if "rows_unrouted" in value:
            return (
                f"{value['rows_read']:,} rows of {value['files']} files routed to "
                f"{value['bureaus']} bureaus, {value['rows_unrouted']:,} unroutable"
            )
        if "rows_read" in value:
            return f"{value['rows_read']:,} rows read from {value.get('files', 0)} files"
        if "accepted" in value:
            return (
                f"{value['rows']:,} rows: {value['accepted']:,} accepted, "
                f"{value['quarantined']:,} quarantined, {value['duplicate']:,} duplicate"
            )
        if "models" in value:
            return f"{len(value['models'])} models built"

        return f"{len(value)} items"
    return "" if value is None else str(value)


def report_success(context) -> None:
    """on_success_callback: one progress line per task as it ends (task, seconds, rows)."""
    import logging
    from datetime import datetime

    ti = context["ti"]
    started = getattr(ti, "start_date", None)
    seconds = (datetime.now(UTC) - started).total_seconds() if started else 0.0
    value = ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index)
    # a mapped task names what it ran for: the bureau its result names, else its map index
    bureau = value.get("bureau") if isinstance(value, dict) else None
    index = getattr(ti, "map_index", -1)
    name = ti.task_id if index is None or index < 0 else f"{ti.task_id}[{bureau or index}]"
    logging.getLogger("beatbrief.progress").info(
        "done %s in %.1f s: %s", name, seconds, describe_result(value)
    )
