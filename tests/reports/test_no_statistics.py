"""The pages compute no statistic: every z, p, percent change and pooled figure comes from a
mart. A function in reports/ named like one, or a call into a statistics library, fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[2] / "reports"
# bench.py times the pages; its medians are of seconds, not of police data
EXEMPT = {"bench.py"}
STATISTIC_NAME = re.compile(
    r"poisson|binom|exact_p|p_?value|z_?score|significan|pct_change|percent_change|pool"
    r"|(^|_)(z|p)$|^sum_"
)
STATISTIC_CALLS = {("math", "erfc"), ("math", "erf"), ("math", "lgamma"), ("math", "gamma")}
STATISTIC_MODULES = ("scipy", "statistics", "statsmodels", "numpy")


def statistics_in(source: str) -> list[str]:
    """What in a module's source looks like a statistic computed in Python."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = node.name.lower()
            if not name.startswith("fmt_") and STATISTIC_NAME.search(name):
                found.append(f"def {node.name}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in STATISTIC_CALLS:
                found.append(f"{node.value.id}.{node.attr}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            found += [f"import {n}" for n in names if n and n.split(".")[0] in STATISTIC_MODULES]
    return found


def test_the_check_finds_what_it_looks_for():
    source = (
        "import math\nfrom scipy import stats\n"
        "def poisson_z(c, b):\n    return 2 * (c**0.5 - b**0.5)\n"
        "def exact_p(c, b):\n    return math.erfc(c)\n"
        "def sum_trends(t):\n    return t\n"
        "def fmt_z(z):\n    return str(z)\n"
    )
    assert statistics_in(source) == [
        "import scipy",
        "def poisson_z",
        "def exact_p",
        "def sum_trends",
        "math.erfc",
    ]


def test_reports_define_no_z_p_or_percent_change_function():
    found = {
        path.relative_to(REPORTS).as_posix(): statistics_in(path.read_text(encoding="utf-8"))
        for path in sorted(REPORTS.rglob("*.py"))
        if path.name not in EXEMPT
    }
    assert {name: hits for name, hits in found.items() if hits} == {}
