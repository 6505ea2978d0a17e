"""The command line: help with every default, the package version, a clear word on a bad date,
and a bad setting stopping with one line on stderr and exit code 2."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from beatbrief import airflow_runner, cli


def never_run(*args, **kwargs):
    raise AssertionError("the DAG must not run after a bad argument or setting")


def help_of(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as raised:
        cli.main([*argv, "--help"])
    assert raised.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def test_help_gives_every_option_a_help_text_and_its_default(capsys):
    text = help_of(capsys, "simulate")
    for option, default in {
        "--days": "400",
        "--seed": "20261128",
        "--scale": "county",
        "--fault-rate": "0.002",
    }.items():
        assert option in text and f"(default: {default})" in text, option
    assert "(default: None)" not in text and "(default: False)" not in text
    for action in cli.build_parser()._subparsers._group_actions[0].choices["simulate"]._actions:
        assert action.help, action.option_strings
    assert "(default: $BEATBRIEF_HOME or ./var)" in help_of(capsys, "run")


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["--version"])
    assert raised.value.code == 0
    assert capsys.readouterr().out.strip() == f"beatbrief {version('beatbrief')}"


@pytest.mark.parametrize("text", ["2026-13-01", "20261101", "tomorrow"])
def test_a_bad_date_says_what_form_a_date_takes(capsys, monkeypatch, text):
    monkeypatch.setattr(airflow_runner, "run_daily", never_run)
    with pytest.raises(SystemExit) as raised:
        cli.main(["run", "--date", text])
    assert raised.value.code == 2
    assert f"--date: '{text}' is not a date in YYYY-MM-DD form" in capsys.readouterr().err


def test_a_bad_setting_is_one_line_on_stderr_and_exit_code_2(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(airflow_runner, "run_daily", never_run)
    monkeypatch.setenv("BEATBRIEF_HOTSPOT_WINDOW_DAYS", "abc")
    assert cli.main(["run", "--home", str(tmp_path), "--date", "2026-11-27"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and "BEATBRIEF_HOTSPOT_WINDOW_DAYS='abc'" in err
