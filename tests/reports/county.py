"""A small simulated county, loaded and built once per test process, for the page tests.

`county_home()` returns a HOME whose warehouse holds 40 days of a clean county built for END;
tests that change it work on a copy (`copy_county`)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import date
from pathlib import Path

from beatbrief.config import Settings

END = date(2026, 11, 27)
_BUILT: dict[str, Path] = {}


def county_home() -> Path:
    """The built county's HOME (built on first use, then reused by every test module)."""
    if "home" not in _BUILT:
        from beatbrief.simulate import run_simulation
        from tests.pipeline import run_day

        root = Path(tempfile.mkdtemp(prefix="beatbrief-pages-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        home = root / "home"
        run_simulation(home, end=END, days=40, seed=23, scale="county", fault_rate=0.0, ping_days=1)
        failures = run_day(Settings(home=home), END)
        assert failures == {}, failures
        _BUILT["home"] = home
    return _BUILT["home"]


def province_home() -> Path:
    """The same county run as the daily DAG runs it: a province of one bureau (routed, the
    bureau's pages under the province roll-up); built on first use."""
    if "province" not in _BUILT:
        from beatbrief.simulate import run_simulation
        from reports.plans import write_patrol_plans
        from reports.province import publish_province
        from reports.publish import publish_pages
        from tests.pipeline import county_bureau, run_province_day

        root = Path(tempfile.mkdtemp(prefix="beatbrief-province-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        home = root / "home"
        run_simulation(home, end=END, days=40, seed=23, scale="county", fault_rate=0.0, ping_days=1)
        settings = Settings(home=home)
        assert run_province_day(settings, END) == {}
        bureau = county_bureau(settings)
        write_patrol_plans(bureau, END)
        publish_pages(bureau, END)
        publish_province(settings, END)
        _BUILT["province"] = home
    return _BUILT["province"]


def copy_province(target: Path) -> Settings:
    """A private copy of the county run as a province of one bureau, under `target`."""
    shutil.copytree(province_home(), target / "home")
    return Settings(home=target / "home")


def copy_county(target: Path) -> Settings:
    """A private copy of the built county under `target`."""
    shutil.copytree(county_home(), target / "home")
    return Settings(home=target / "home")
