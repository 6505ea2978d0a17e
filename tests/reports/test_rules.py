"""Every validation rule the suites can produce has a label and a one-line explanation in
zh-CN and en (reports/rules.py over the message catalogue): a new rule without them fails
here, and so does a catalogue entry for a rule no suite has any more."""

from __future__ import annotations

import re

import pytest
import yaml

from beatbrief.config import LANGUAGES
from beatbrief.feeds import FEED_NAMES, load_schema
from expectations.health import health_suite
from expectations.suites import build_suite, feed_expectations, rule_name
from reports import rules
from reports.messages import CATALOGUE, Messages

CJK = re.compile(r"[\u4e00-\u9fff]")


def suite_rules(feed: str) -> list[str]:
    """The rule names every expectation of the feed's row and health suites is stored under."""
    schema = load_schema(feed)
    expectations = [*build_suite(schema).expectations, *health_suite(schema).expectations]
    return [rule_name(e.configuration) for e in expectations]


@pytest.mark.parametrize("feed", FEED_NAMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_rule_has_a_label_and_an_explanation(feed, language):
    msg = Messages(language)
    for rule in suite_rules(feed):
        words = rules.rule_words(feed, rule, msg)
        assert words["rule"] == rule
        assert words["label"] and words["label"] != rule, (feed, rule)
        assert words["explanation"], (feed, rule)
        text = words["label"] + words["explanation"]
        assert "{" not in text and "}" not in text, (feed, rule, text)
        assert bool(CJK.search(text)) == (language == "zh-CN"), (feed, rule, text)


def test_a_feeds_own_rules_have_their_own_entries_and_no_entry_is_stale():
    own = {
        rules.own_key(feed, rule_name(e.configuration))
        for feed in FEED_NAMES
        for e in feed_expectations(feed)
    }
    for group in ("rule", "rule_help"):
        entries = {key for key in Messages("en").groups()[group] if ": " in key}
        assert entries == own, group


def test_a_rule_of_an_unknown_shape_keeps_its_name_and_notes():
    words = rules.rule_words("cases", "case_id_unique", Messages("zh-CN"), "old notes")
    assert words == {
        "label": "case_id_unique",
        "explanation": "old notes",
        "rule": "case_id_unique",
    }


def test_each_rule_entry_is_one_text_per_language():
    catalogue = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    for group in ("rule", "rule_help"):
        for key, entry in catalogue[group].items():
            assert set(entry) == set(LANGUAGES), (group, key, entry)  # an unquoted "," splits
            assert all(isinstance(text, str) and text for text in entry.values()), (group, key)
