"""Where every published page goes, and the guard that keeps feed-derived ids inside it.

Station and bureau ids come from the reference feeds and become file names
(`briefings/<date>/<station_id>.html`), so an id is used only when it is a plain name: letters,
digits, '_' and '-', starting with a letter or digit. Anything else (`../x`, `a/b`, `站1`, an
empty string) is refused with UnsafeIdError before any file is written.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from beatbrief.config import Settings
from beatbrief.feeds import SAFE_ID_PATTERN
from reports.render import PLOTLY_JS

# the contract's rule for ids that become file names, which validation enforces row by row
SAFE_ID = re.compile(SAFE_ID_PATTERN)
INDEX_PAGE = "index.html"
METHODS_PAGE = "methods.html"
BUREAU_PREFIX = "bureau-"
# file names the publisher itself uses in a page folder; no station page may take one
RESERVED_NAMES = frozenset({INDEX_PAGE, METHODS_PAGE, PLOTLY_JS})


class UnsafeIdError(ValueError):
    """A station or bureau id that cannot be used in a file name."""


def check_id(value: object, what: str = "id") -> str:
    """The id itself when it is a safe file-name stem; UnsafeIdError otherwise."""
    if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
        raise UnsafeIdError(
            f"{what} {value!r} is not a safe file name: use letters, digits, '_' and '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return value


def station_page(station_id: str) -> str:
    """File name of a station's briefing, e.g. `220199510000.html`."""
    return f"{check_id(station_id, 'station id')}.html"


def bureau_page(bureau_id: str) -> str:
    """File name of a bureau's briefing (only written when a day has several bureaus)."""
    return f"{BUREAU_PREFIX}{check_id(bureau_id, 'bureau id')}.html"


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing a name that would resolve outside the folder."""
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise UnsafeIdError(f"{name!r} leaves {folder}")
    return path


def check_unique(names: list[str]) -> None:
    """Refuse page names that collide with each other or with the publisher's own files."""
    seen: set[str] = set()
    for name in names:
        if name in seen or name in RESERVED_NAMES:
            raise UnsafeIdError(f"two pages would be written to {name!r}")
        seen.add(name)


def trends_dir(settings: Settings, as_of: date) -> Path:
    """HOME/trends/<date>/: the commander view of the week ending `as_of`."""
    return settings.home / "trends" / as_of.isoformat()


def site_index(settings: Settings) -> Path:
    """HOME/index.html: every day's pages, newest first."""
    return settings.home / INDEX_PAGE


def briefing_page(settings: Settings, as_of: date) -> Path:
    """The day's top page of the settings' scope: the province's (or a one-warehouse home's)
    index.html, or a bureau's bureau-<bureau_id>.html beside it."""
    name = bureau_page(settings.bureau) if settings.bureau else INDEX_PAGE
    return settings.briefing_dir(as_of) / name


def quality_page_path(settings: Settings, as_of: date) -> Path:
    """<data home>/quality/<date>/index.html: the day's data-quality page (a bureau's under
    HOME/bureaus/<bureau_id>/)."""
    return settings.quality_dir / as_of.isoformat() / INDEX_PAGE
