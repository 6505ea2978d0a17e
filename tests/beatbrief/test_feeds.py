"""The feed contracts are well formed, and docs/feeds.md is rendered from them."""

from __future__ import annotations

from beatbrief.config import REPO_ROOT
from beatbrief.feeds import FEED_NAMES, all_schemas, load_schema
from beatbrief.feeds.docs import render


def test_every_feed_has_a_contract_with_its_key_among_its_columns():
    assert [s.feed for s in all_schemas()] == list(FEED_NAMES)
    for schema in all_schemas():
        assert set(schema.key) <= set(schema.names), schema.feed
        assert len(schema.names) == len(set(schema.names)), schema.feed
        for column in schema.columns:
            if column.references:
                feed, name = column.references.split(".")
                assert name in load_schema(feed).names, column


def test_cases_contract_covers_what_the_domain_names():
    names = set(load_schema("cases").names)
    assert {
        "kind",
        "category",
        "five_type",
        "reported_at",
        "occurred_from",
        "occurred_to",
        "status",
        "updated_at",
        "callback_result",
        "place_type",
        "road_segment_id",
    } <= names
    assert set(load_schema("cases").pii_columns) >= {
        "reporter_name",
        "reporter_phone",
        "reporter_id_card",
        "summary",
    }


def test_feeds_doc_is_current():
    assert (REPO_ROOT / "docs" / "feeds.md").read_text(encoding="utf-8") == render(), (
        "docs/feeds.md is stale: run `uv run python -m beatbrief.feeds.docs > docs/feeds.md`"
    )
