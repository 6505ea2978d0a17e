"""The beatbrief command line: simulate feeds, run the daily DAG through Airflow."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from beatbrief.config import Settings


def _date(text: str) -> date:
    return date.fromisoformat(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = argparse.ArgumentParser(prog="beatbrief", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="write a seeded, simulated county's feeds under HOME")
    sim.add_argument("--home", default=None, help="data root (default: $BEATBRIEF_HOME or ./var)")
    sim.add_argument("--end", type=_date, required=True, help="last simulated day, YYYY-MM-DD")
    sim.add_argument("--days", type=int, default=400, help="days of cases and population")
    sim.add_argument("--seed", type=int, default=20261128)
    sim.add_argument("--scale", choices=["county", "province"], default="county")
    sim.add_argument("--clean", action="store_true", help="inject no data faults")
    sim.add_argument("--fault-rate", type=float, default=0.002, help="share of rows with a fault")
    sim.add_argument(
        "--ping-days",
        type=int,
        default=None,
        help="days of patrol shifts and pings (default 28 county, 2 province)",
    )

    run = sub.add_parser("run", help="run the daily DAG for one logical date through Airflow")
    run.add_argument("--home", default=None, help="data root (default: $BEATBRIEF_HOME or ./var)")
    run.add_argument("--date", type=_date, required=True, help="logical date, YYYY-MM-DD")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``beatbrief`` script."""
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(args.home)
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
        )
        print(f"simulated feeds under {settings.home}: {summary}")
        return 0
    if args.command == "run":
        from beatbrief.airflow_runner import run_daily

        return run_daily(settings, args.date)
    return 2


if __name__ == "__main__":
    sys.exit(main())
