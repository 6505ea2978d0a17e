"""Validation rules in the reader's words: each rule's label and one-line explanation from the
message catalogue (groups `rule` and `rule_help`), with its GX name kept beside them as the
data engineers' detail.

A stored result names its rule as expectations/suites.py `rule_name` wrote it,
`<expectation type>(<columns>)`. A feed's own rules (expectations/suites/<feed>.json) each
have an entry keyed `<feed>: <rule>`. The rules every feed contract implies share an entry per
kind (`not_null`, `in_set`, `references`, ...), filled in with the column's name from the
contract. The checks on a derived or health column (`_malformed`, `volume_ratio`, ...) are
keyed by that column. tests/reports/test_rules.py checks that every rule the suites can
produce has both texts in both languages.
"""

from __future__ import annotations

import re

from beatbrief.feeds import FEED_NAMES, FeedSchema, load_schema
from reports.messages import Messages

RULE = re.compile(r"(?P<expectation>[a-z_]+)\((?P<columns>[^()]*)\)")
# the expectation types a feed contract implies, by the catalogue kind of their rule
CONTRACT_KINDS = {
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_in_set": "in_set",
    "expect_column_values_to_match_regex": "file_name",
    "expect_column_values_to_be_between": "not_future",
    "expect_compound_columns_to_be_unique": "unique_in_file",
}


def own_key(feed: str, rule: str) -> str:
    """The catalogue key of one of a feed's own rules."""
    return f"{feed}: {rule}"


def contract_key(schema: FeedSchema, expectation: str, columns: list[str]) -> str | None:
    """The catalogue kind of a rule the feed's contract implies (None if it implies none)."""
    if len(columns) == 1 and columns[0] not in schema.names:
        return columns[0]  # a derived or health column names its own check
    if not set(columns) <= set(schema.names):
        return None
    kind = CONTRACT_KINDS.get(expectation)
    column = schema.column(columns[0])
    if kind == "in_set" and column.references:
        return "references"
    if kind == "not_future" and column.type != "timestamp":
        return None
    return kind


def column_label(schema: FeedSchema, name: str, msg: Messages) -> str:
    """A column as the reader knows it: its Chinese name from the contract, else its name."""
    return schema.column(name).zh if msg.language == "zh-CN" else name


def placeholders(schema: FeedSchema, columns: list[str], msg: Messages) -> dict[str, str]:
    """What a kind's texts are filled in with: the column(s), the reference, the freshness."""
    known = [c for c in columns if c in schema.names]
    references = schema.column(known[0]).references if known else None
    return {
        "column": column_label(schema, known[0], msg) if known else "",
        "columns": " + ".join(column_label(schema, c, msg) for c in known),
        "reference": msg.label("feed", references.split(".")[0]) if references else "",
        "max_age_days": str(schema.max_age_days),
    }


def rule_words(feed: str, rule: str, msg: Messages, notes: str | None = None) -> dict:
    """A stored rule's label and explanation in the page's language, and its GX name; a rule
    the catalogue does not know keeps its name and the expectation's notes."""
    unknown = {"label": rule, "explanation": notes or "", "rule": rule}
    texts, match = msg.groups(), RULE.fullmatch(rule)
    if feed not in FEED_NAMES or match is None:
        return unknown
    schema, columns = load_schema(feed), match["columns"].split(",")
    key = own_key(feed, rule)
    if key not in texts["rule"]:
        key = contract_key(schema, match["expectation"], columns)
    if key not in texts["rule"]:
        return unknown
    fields = placeholders(schema, columns, msg)
    return {
        "label": texts["rule"][key].format(**fields),
        "explanation": texts["rule_help"][key].format(**fields),
        "rule": rule,
    }
