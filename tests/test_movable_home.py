"""A HOME copied or moved elsewhere (a restored backup, a bigger disk) is the same HOME: a re-run
reads no file again, and no count, table or page byte changes but the generation time."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from beatbrief.config import Settings
from reports.plans import write_patrol_plans
from reports.province import publish_province
from reports.publish import publish_pages
from tests.pipeline import county_bureau, run_province_day
from tests.reports.county import END, province_home
from transforms import warehouse
from transforms.route import province_connect

# columns that say when something ran, not what the data say (a run record's digest covers
# its generation time)
WHEN_COLUMNS = (
    "loaded_at",
    "validated_at",
    "routed_at",
    "quarantined_at",
    "generated_at",
    "record_sha256",
)
GENERATED_AT = re.compile(rb'<span id="generated-at">[^<]*</span>')
# the published pages: briefings, plans and quality pages (GX's own Data Docs, which show
# when each validation ran, are left out)
PAGES = ("briefings/**/*.html", "plans/**/*.csv", "bureaus/*/quality/*/index.html", "index.html")


def tables(con) -> dict[str, str]:
    """A digest of each table's ordered content, leaving out when rows were loaded."""
    names = [
        t for (t,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall()
    ]
    digests = {}
    for name in names:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ? "
                "and column_name not in ?",
                [name, list(WHEN_COLUMNS)],
            ).fetchall()
        ]
        body = ", ".join(f'"{c}"' for c in columns)
        rows = con.execute(f"select {body} from {name} order by all").fetchall()
        digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def state(settings: Settings) -> dict[str, dict[str, str]]:
    """Every table of the province file and of the bureau's warehouse."""
    with province_connect(settings) as con:
        province = tables(con)
    with warehouse.connect(county_bureau(settings)) as con:
        bureau = tables(con)
    return {"province": province, "bureau": bureau}


def pages(home: Path) -> dict[str, bytes]:
    """Each published file's bytes, without its one generation timestamp."""
    return {
        str(path.relative_to(home)): GENERATED_AT.sub(b"", path.read_bytes())
        for pattern in PAGES
        for path in sorted(home.glob(pattern))
        if "data_docs" not in path.parts
    }


def test_a_moved_home_reads_nothing_again_and_changes_no_byte(tmp_path):
    original = province_home()
    moved = tmp_path / "another" / "disk" / "home"
    shutil.copytree(original, moved)
    settings = Settings(home=moved)
    before = state(settings)
    assert run_province_day(settings, END) == {}
    bureau = county_bureau(settings)
    with warehouse.connect(bureau) as con:
        reread = con.execute("select count(*) from load_manifest").fetchone()[0]
    write_patrol_plans(bureau, END)
    publish_pages(bureau, END)
    publish_province(settings, END)
    after = state(settings)
    changed = {
        f"{scope}.{table}"
        for scope in before
        for table in before[scope]
        if before[scope][table] != after[scope].get(table)
    }
    assert changed == set(), "a re-run in the moved home changed these tables"
    assert reread == len([p for p in (original / "landing").rglob("*") if p.is_file()])
    published, republished = pages(original), pages(moved)
    assert len(published) > 20 and set(published) == set(republished)
    assert [name for name in published if published[name] != republished[name]] == []
    assert str(original) not in "".join(p.decode("utf-8", "replace") for p in republished.values())
