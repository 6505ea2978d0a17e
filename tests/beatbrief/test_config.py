"""Settings are checked when they are read: a bad BEATBRIEF_* value stops with one line that
names the variable, the value and what is allowed, never a bare traceback or a silent default."""

from __future__ import annotations

import dataclasses

import pytest

from beatbrief.config import ALLOWED, Settings, SettingsError


def error_for(monkeypatch, tmp_path, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(f"BEATBRIEF_{name.upper()}", value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("hotspot_window_days", "abc", "a whole number, 1 or more"),
        ("hotspot_window_days", "-3", "a whole number, 1 or more"),
        ("hotspot_window_days", "2.5", "a whole number"),
        ("hotspot_fdr", "ture", "true, false, 1, 0, yes, no, on, off"),
        ("language", "fr", "zh-CN, en"),
        ("near_repeat_alpha", "1.5", "above 0 and below 1"),
        ("grid_cell_m", "nan", "a number, above 0"),
        ("patrol_misaligned_hot_share", "-0.1", "from 0 to 1"),
        ("duckdb_memory_limit", "4 gigs", "a memory size"),
        ("load_memory_limit", "1536", "a memory size"),
    ],
)
def test_a_bad_value_names_variable_value_and_what_is_allowed(
    monkeypatch, tmp_path, name, value, allowed
):
    message = error_for(monkeypatch, tmp_path, **{name: value})
    assert f"BEATBRIEF_{name.upper()}=" in message
    assert value in message and allowed in message


@pytest.mark.parametrize(
    ("word", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), (" On ", True)]
    + [("false", False), ("0", False), ("No", False), ("OFF", False)],
)
def test_booleans_take_the_documented_words_in_any_case(monkeypatch, tmp_path, word, expected):
    monkeypatch.setenv("BEATBRIEF_HOTSPOT_FDR", word)
    assert Settings.from_env(tmp_path).hotspot_fdr is expected


def test_good_values_are_read_with_their_types(monkeypatch, tmp_path):
    for name, value in {
        "language": "en",
        "hotspot_window_days": "14",
        "grid_cell_m": "100",
        "plan_directed_share": "0.5",
        "duckdb_memory_limit": "2.5GiB",
    }.items():
        monkeypatch.setenv(f"BEATBRIEF_{name.upper()}", value)
    settings = Settings.from_env(tmp_path)
    assert (settings.language, settings.hotspot_window_days) == ("en", 14)
    assert (settings.grid_cell_m, settings.plan_directed_share) == (100.0, 0.5)
    assert settings.duckdb_memory_limit == "2.5GiB" and settings.home == tmp_path


def test_settings_made_in_code_are_checked_too(tmp_path):
    with pytest.raises(SettingsError, match="BEATBRIEF_LANGUAGE='fr'"):
        Settings(home=tmp_path, language="fr")
    with pytest.raises(SettingsError, match="BEATBRIEF_VOLUME_MIN_RATIO=3.0 .*VOLUME_MAX_RATIO"):
        dataclasses.replace(Settings(home=tmp_path), volume_min_ratio=3.0)


def test_every_default_is_allowed_and_every_rule_names_a_setting():
    names = {f.name for f in dataclasses.fields(Settings)}
    assert set(ALLOWED) <= names
    Settings()  # the defaults pass their own rules
