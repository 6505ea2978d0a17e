"""The beatbrief command line: simulate feeds, run the daily DAG through Airflow."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from importlib.metadata import PackageNotFoundError, version

from beatbrief.config import Settings, SettingsError

DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help that ends each option with its default, except a None or False one (an option
    without a value, or one whose help says what happens without it)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def _date(text: str) -> date:
    """A YYYY-MM-DD argument as a date (argparse names the option when it is not one)."""
    try:
        if DATE_FORM.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form")


def package_version() -> str:
    """The installed beatbrief package's version."""
    try:
        return version("beatbrief")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = argparse.ArgumentParser(
        prog="beatbrief", description=__doc__, formatter_class=DefaultsHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser(
        "simulate",
        help="write a seeded, simulated county's feeds under HOME",
        description="Write a seeded, simulated county's (or province's) feeds under HOME.",
        formatter_class=DefaultsHelpFormatter,
    )
    sim.add_argument("--home", default=None, help="data root (default: $BEATBRIEF_HOME or ./var)")
    sim.add_argument("--end", type=_date, required=True, help="last simulated day, YYYY-MM-DD")
    sim.add_argument("--days", type=int, default=400, help="days of cases and population")
    sim.add_argument(
        "--seed", type=int, default=20261128, help="random seed: the same seed, the same feeds"
    )
    sim.add_argument(
        "--scale",
        choices=["county", "province"],
        default="county",
        help="one county (the demo) or a whole province of bureaus",
    )
    sim.add_argument("--clean", action="store_true", help="inject no data faults")
    sim.add_argument("--fault-rate", type=float, default=0.002, help="share of rows with a fault")
    sim.add_argument(
        "--ping-days",
        type=int,
        default=None,
        help="days of patrol shifts and pings (default: 28 for county, 2 for province)",
    )

    sim.add_argument(
        "--bureaus",
        type=int,
        default=None,
        help="keep the first N bureaus of the province, the demo county first "
        "(default: 1 for county, 60 for province)",
    )

    run = sub.add_parser(
        "run",
        help="run the daily DAG for one logical date through Airflow",
        description="Run the daily DAG for one logical date through Airflow.",
        formatter_class=DefaultsHelpFormatter,
    )
    run.add_argument("--home", default=None, help="data root (default: $BEATBRIEF_HOME or ./var)")
    run.add_argument("--date", type=_date, required=True, help="logical date, YYYY-MM-DD")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``beatbrief`` script."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(args.home)
    except SettingsError as error:  # one line naming the variable, never a traceback
        print(f"beatbrief: {error}", file=sys.stderr)
        return 2
    if args.command == "simulate":
        from beatbrief.simulate import run_simulation

        summary = run_simulation(
            settings.home,
            end=args.end,
            days=args.days,
            seed=args.seed,
            scale=args.scale,
            fault_rate=0.0 if args.clean else args.fault_rate,
            ping_days=args.ping_days,
            bureaus=args.bureaus,
        )
        print(f"simulated feeds under {settings.home}: {summary}")
        return 0
    if args.command == "run":
        from beatbrief.airflow_runner import run_daily

        return run_daily(settings, args.date)
    return 2


if __name__ == "__main__":
    sys.exit(main())
