"""Great Expectations suites: the rules every feed's contract implies, plus the feed's own
hand-written rules in `expectations/suites/<feed>.json` (GX's suite JSON shape).

Severity carries the two levels of docs/data-quality.md:
- `critical`: batch-level; the offending files are rejected and the feed fails loudly;
- `warning`: row-level; the offending rows go to `quarantine` and the rest load;
- `info`: reported in the data-quality page, never blocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe

from beatbrief.feeds import SAFE_ID_PATTERN, FeedSchema
from expectations.checks import check_columns, reference_parameter

SUITES_DIR = Path(__file__).parent / "suites"
WARNING = "warning"
CRITICAL = "critical"
INFO = "info"


def derived_rule(name: str) -> gxe.Expectation:
    """The rule on a column expectations/checks.py derives (a new object per suite)."""
    if name == "_swapped_lat_lon":
        return gxe.ExpectColumnValuesToBeInSet(
            column=name,
            value_set=[False],
            severity=WARNING,
            notes="latitude and longitude are swapped: the point lies in the jurisdiction only "
            "when they are exchanged",
        )
    if name == "_implied_speed_kmh":
        return gxe.ExpectColumnValuesToBeBetween(
            column=name,
            max_value={"$PARAMETER": "ping_max_speed_kmh"},
            severity=WARNING,
            notes="no teleporting: a fix reached from and left to its neighbours faster than "
            "ping_max_speed_kmh is a GPS jump",
        )
    if name == "_too_long":
        return gxe.ExpectColumnValuesToBeNull(
            column=name,
            severity=WARNING,
            notes="no text is longer than its column's max_length (256 characters unless the "
            "contract says otherwise)",
        )
    if name == "_invalid_id_cards":
        return gxe.ExpectColumnValuesToBeNull(
            column=name,
            severity=INFO,
            notes="ID-card numbers pass the GB 11643 check; reported only, never blocks a case",
        )
    raise KeyError(name)


def contract_expectations(schema: FeedSchema) -> list[gxe.Expectation]:
    """The expectations a feed's YAML contract implies."""
    rules: list[gxe.Expectation] = [
        # the header lacks a required column: the file's schema is broken
        gxe.ExpectColumnValuesToBeNull(column="_missing_required", severity=CRITICAL),
        gxe.ExpectColumnValuesToBeNull(column="_missing_optional", severity=INFO),
        # the record could not be split into the header's fields
        gxe.ExpectColumnValuesToBeNull(column="_malformed", severity=WARNING),
        # a value is present but is not of the column's type
        gxe.ExpectColumnValuesToBeNull(column="_parse_errors", severity=WARNING),
    ]
    if any(c.type == "float" for c in schema.columns):
        rules.append(
            gxe.ExpectColumnValuesToBeNull(
                column="_non_finite",
                severity=WARNING,
                notes="numbers are finite: NaN and infinity are no coordinate or measure",
            )
        )
    for column in schema.columns:
        if column.required:
            rules.append(gxe.ExpectColumnValuesToNotBeNull(column=column.name, severity=WARNING))
        if column.values:
            rules.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column.name, value_set=list(column.values), severity=WARNING
                )
            )
        if column.file_name:
            rules.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=column.name,
                    regex=f"^{SAFE_ID_PATTERN}$",
                    severity=WARNING,
                    notes=f"{column.name} becomes a file name: letters, digits, '_' and '-', "
                    "starting with a letter or digit, at most 64",
                )
            )
    for column in schema.columns:
        if column.references:
            # referential integrity: the id exists in the reference data
            rules.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column.name,
                    value_set={"$PARAMETER": reference_parameter(column.references)},
                    severity=WARNING,
                    notes=f"{column.name} must exist in {column.references}",
                )
            )
        if column.type == "timestamp":
            rules.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column.name,
                    max_value={"$PARAMETER": "max_event_at"},
                    severity=WARNING,
                    notes="nothing lies in the future, beyond a small clock tolerance",
                )
            )
    for name in check_columns(schema):
        rules.append(derived_rule(name))
    # keys are unique within a file (a feed may legitimately re-send a key in a later file)
    rules.append(
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", *schema.key], severity=WARNING
        )
    )
    return rules


def feed_expectations(feed: str) -> list[gxe.Expectation]:
    """The feed's own rules from expectations/suites/<feed>.json (none if the file is absent)."""
    path = SUITES_DIR / f"{feed}.json"
    if not path.exists():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("name") != feed:
        raise ValueError(f"{path}: suite name must be {feed!r}")
    return list(gx.ExpectationSuite(**doc).expectations)


def build_suite(schema: FeedSchema) -> gx.ExpectationSuite:
    """The full suite of a feed, named after it."""
    expectations = [*contract_expectations(schema), *feed_expectations(schema.feed)]
    return gx.ExpectationSuite(name=schema.feed, expectations=expectations)


def rule_name(config) -> str:
    """A readable rule name from an expectation configuration, e.g.
    `expect_column_values_to_not_be_null(case_id)`."""
    kwargs = config.kwargs
    columns = kwargs.get("column") or kwargs.get("column_list")
    if columns is None and "column_A" in kwargs:
        columns = [kwargs["column_A"], kwargs["column_B"]]
    if isinstance(columns, list):
        columns = ",".join(c for c in columns if not c.startswith("_file_path"))
    return f"{config.type}({columns})" if columns else config.type
