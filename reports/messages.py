"""The message catalogue (messages.yaml): every label the pages show, in zh-CN and en."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from beatbrief.config import LANGUAGES

CATALOGUE = Path(__file__).parent / "messages.yaml"


@cache
def _catalogue() -> dict:
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


class Messages:
    """Labels in one language; `t("page", "headline")`, `label("category", "theft")`."""

    def __init__(self, language: str):
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        self.language = language

    def t(self, group: str, key) -> str:
        """The label of a key; a missing label is an error, never a silent fallback."""
        try:
            return _catalogue()[group][key][self.language]
        except KeyError as error:
            raise KeyError(f"messages.yaml lacks {group}.{key} in {self.language}") from error

    def label(self, group: str, value) -> str:
        """The label of a data value, or the value itself when the catalogue has none."""
        entry = _catalogue().get(group, {}).get(value)
        return entry[self.language] if entry else str(value)

    def page(self) -> dict[str, str]:
        """All page texts, for templates."""
        return {key: entry[self.language] for key, entry in _catalogue()["page"].items()}

    def groups(self) -> dict[str, dict]:
        """Every group of the catalogue in this language, for templates (`m.kpi.kpi_few_cases`)."""
        return _groups(self.language)


@cache
def _groups(language: str) -> dict[str, dict]:
    return {
        group: {key: entry[language] for key, entry in entries.items()}
        for group, entries in _catalogue().items()
    }
