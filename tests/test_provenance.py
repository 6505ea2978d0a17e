"""Each briefing day's run record says which code, settings and files made its pages, and a
re-run from the record alone gives the same marts."""

from __future__ import annotations

import hashlib
import json
import re
import shutil

from beatbrief.config import Settings
from reports.provenance import run_record_path
from tests.pipeline import county_bureau, run_province_day
from tests.reports.county import END, province_home
from tests.test_movable_home import tables
from transforms import warehouse
from transforms.rollup import build_province
from transforms.route import province_connect


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def marts(settings: Settings) -> dict[str, str]:
    """Digests of the bureau's and the province's marts."""
    with warehouse.connect(county_bureau(settings)) as con:
        bureau = {f"bureau.{k}": v for k, v in tables(con).items() if k.startswith("mart_")}
    with province_connect(settings) as con:
        province = {f"province.{k}": v for k, v in tables(con).items() if k.startswith("mart_")}
    return bureau | province


def test_the_run_record_names_code_settings_inputs_and_pages_and_the_pages_link_it():
    home = province_home()
    settings = Settings(home=home)
    path = run_record_path(settings, END)
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["briefing_date"] == END.isoformat() and record["code_version"]
    assert record["settings"]["hotspot_window_days"] == settings.hotspot_window_days
    assert record["model_parameters"]["as_of_date"] == END.isoformat()
    assert record["simulator"]["seed"] == 23
    landed = sorted(p for p in (home / "landing").rglob("*") if p.is_file())
    assert [i["path"] for i in record["inputs"]] == sorted(
        p.relative_to(home / "landing").as_posix() for p in landed
    )
    for entry in record["inputs"]:
        assert sha256(home / "landing" / entry["path"]) == entry["sha256"]
    outputs = {o["path"]: o["sha256"] for o in record["outputs"]}
    assert f"briefings/{END}/index.html" in outputs
    assert any(p.startswith("plans/") for p in outputs)
    for name, digest in outputs.items():
        assert sha256(home / name) == digest, name
    for page in ("index.html", "bureau-220199000000.html"):
        html = (settings.briefing_dir(END) / page).read_text(encoding="utf-8")
        href = re.search(r'id="run-record" href="([^"]+)"', html)
        assert href and (settings.briefing_dir(END) / href.group(1)).resolve() == path.resolve()
    with province_connect(settings) as con:
        (row,) = con.execute("select briefing_date, inputs from run_records").fetchall()
    assert row == (END, len(record["inputs"]))


def test_a_re_run_from_the_record_alone_gives_the_same_marts(tmp_path):
    original = Settings(home=province_home())
    record = json.loads(run_record_path(original, END).read_text(encoding="utf-8"))
    again = Settings(home=tmp_path / "again", **record["settings"])
    for entry in record["inputs"]:
        source = original.home / "landing" / entry["path"]
        assert sha256(source) == entry["sha256"], "the record's input is not the file it names"
        target = again.home / "landing" / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    assert run_province_day(again, END) == {}
    build_province(again, END)
    before, after = marts(original), marts(again)
    assert before and [t for t in before if before[t] != after.get(t)] == []
