"""Shared rendering of every page: the Jinja environment, atomic writes and the plotly.js
bundle beside the pages. It imports nothing else of the project, so every page module can use
it without a cycle."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
PLOTLY_BUNDLE = Path(__file__).parent / "static" / "plotly-cartesian.min.js"
PLOTLY_JS = "plotly.min.js"  # the bundle's name beside the pages


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that a reader sees either the old or the whole new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        os.chmod(temp, 0o644)  # pages are read from shares by other users
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def plotly_bundle() -> bytes:
    """The plotly.js the pages load: the vendored cartesian bundle (reports/static/README.md),
    or the Python package's full bundle when the vendored file is missing."""
    if PLOTLY_BUNDLE.exists():
        return PLOTLY_BUNDLE.read_bytes()
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def ensure_plotly_js(folder: Path) -> Path:
    """One copy of plotly.js per folder of pages, rewritten only when it differs."""
    script = plotly_bundle()
    target = folder / PLOTLY_JS
    if (
        not target.exists()
        or hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(script).digest()
    ):
        atomic_write(target, script)
    return target


def templates() -> Environment:
    """The Jinja2 environment of the page templates: every value is HTML-escaped, and a label
    missing from the catalogue is an error, never an empty string."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["j2", "html"]),
        undefined=StrictUndefined,
    )
