"""GX Data Docs that work with no network: the site's configuration, whose page views load
the copies of Bootstrap, jQuery, Vega and Font Awesome vendored in expectations/static/data_docs/
(README.md there names each file's origin, version and licence) instead of their CDNs, and the
copying of those files into the site.

A page of GX 1.24 loads 16 files from CDNs and S3, and Font Awesome's stylesheet two web fonts
more. GX lets a site name its own view classes (`view` of each site section
builder and of the index builder); a custom views directory cannot replace a GX template, as
GX's own templates come first in its loader. So the views here read GX's templates through a
loader that points every such URL at the vendored copy and fails on one it does not know, so a
GX upgrade that loads something new fails the Data Docs tests instead of going online."""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BaseLoader

VENDORED_DIR = Path(__file__).parent / "static" / "data_docs"
# where the vendored files go, relative to the site's root (GX's own assets are in static/)
SITE_VENDORED = "static/data_docs/"

# every URL GX 1.24's templates load, and the vendored file (under VENDORED_DIR) loaded instead
VENDORED = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap-4.3.1/dist/css/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/dist/js/bootstrap.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/dist/extensions/filter-control/"
        "bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.0/dist/extensions/filter-control/"
        "bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0/dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0/dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": ("bootstrap-dark-1.1.0/dist/css/bootstrap-prefers-dark.min.css"),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js-1.12.9/dist/umd/popper.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    # jsdelivr serves the highest release of the major version
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0/build/vega-embed.min.js",
}

# GX's logo comes from S3 (the navbar's image, and in dark mode a CSS background); GX ships the
# same logo in the site's static/images/, and a favicon there that validation result pages look
# for one folder too high. Each text must be found: a changed template fails loudly.
S3_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
REPLACED = {
    "top_navbar.j2": [
        (
            f'{{% set static_images_dir = "{S3_IMAGES}" -%}}',
            '{% set static_images_dir = site_root ~ "static/images/" -%}',
        )
    ],
    "data_docs_default_styles.css": [
        (
            f"url('{S3_IMAGES}full_logo_dark.png')",
            "url('{{ site_root }}static/images/logo-long.png')",
        )
    ],
    "favicon.j2": [
        (
            '{{ static_images_dir + "favicon.ico" }}',
            "{{ site_root }}static/images/favicon.ico",
        )
    ],
}

# a tag that loads what its src or href names
LOADING_TAG = re.compile(r"<(?:script|link|img|source|iframe)\b[^>]*>", re.IGNORECASE)
OUTSIDE_URL = re.compile(r"""\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']""")
# subresource integrity asks for a CORS fetch, which file:// cannot answer
INTEGRITY = re.compile(r"""\s+(?:integrity|crossorigin)\s*=\s*["'][^"']*["']""")
OUTSIDE_ANYWHERE = re.compile(r"""url\(\s*["']?(?:https?:)?//|["']https?://[^"']*["']\s*-?%}""")


class UnvendoredAsset(RuntimeError):
    """A GX template loads a URL outside the site that has no vendored copy."""


def offline_source(name: str, source: str) -> str:
    """A GX template's source with every asset it loads from outside the site pointed at the
    site's vendored copy (`{{ site_root }}` is the relative path to the site's root)."""
    for old, new in REPLACED.get(name, []):
        if old not in source:
            raise UnvendoredAsset(f"GX template {name} no longer holds {old!r}")
        source = source.replace(old, new)

    def local(tag: re.Match) -> str:
        found = OUTSIDE_URL.search(tag[0])
        if found is None:
            return tag[0]
        url = found[1]
        if url not in VENDORED:
            raise UnvendoredAsset(
                f"GX template {name} loads {url}, which expectations/static/data_docs lacks"
            )
        local_url = "{{ site_root }}" + SITE_VENDORED + VENDORED[url]
        return INTEGRITY.sub("", tag[0].replace(url, local_url))

    source = LOADING_TAG.sub(local, source)
    if leftover := OUTSIDE_ANYWHERE.search(source):
        raise UnvendoredAsset(f"GX template {name} loads from outside the site: {leftover[0]}")
    return source


class OfflineTemplates(BaseLoader):
    """GX's template loader, serving each template as offline_source rewrites it."""

    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader

    def get_source(self, environment, template):
        source, filename, uptodate = self.loader.get_source(environment, template)
        return offline_source(template, source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


def site_root(document) -> str:
    """The relative path from a page to the site's root, as GX's own templates work it out:
    validations/<suite...>/<run name>/<run time>/<batch>.html, expectations/<suite...>.html
    or index.html (a dot in a suite's name is one folder more)."""
    renderer = document.renderer_type or ""
    folders = (document.expectation_suite_name or "").count(".")
    if "ValidationResults" in renderer or "ProfilingResults" in renderer:
        return "../" * (folders + 4)
    if "ExpectationSuite" in renderer:
        return "../" * (folders + 1)
    return ""


class OfflineViewMixin:
    """A GX page view whose templates load the site's vendored assets only."""

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.loader = OfflineTemplates(self.env.loader)

    def render(self, document, template=None, **kwargs):
        return super().render(document, template, site_root=site_root(document), **kwargs)


class OfflinePageView(OfflineViewMixin, DefaultJinjaPageView):
    """GX's page view (expectation suites, validation results), offline."""


class OfflineIndexPageView(OfflineViewMixin, DefaultJinjaIndexPageView):
    """GX's index page view, offline."""


def site_config(base_directory: Path) -> dict:
    """The Data Docs site under `base_directory`, every page rendered by an offline view."""
    page = {"module_name": __name__, "class_name": OfflinePageView.__name__}
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(base_directory),
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": __name__, "class_name": OfflineIndexPageView.__name__},
        },
        "site_section_builders": {
            section: {"view": dict(page)}
            for section in ("expectations", "validations", "profiling")
        },
    }


def copy_vendored(site_dir: Path) -> None:
    """Put the vendored assets (with their README and licences) into the site; a file already
    there unchanged is left alone, so only a site's first build writes them."""
    target = site_dir / SITE_VENDORED
    for source in sorted(VENDORED_DIR.rglob("*")):
        copy = target / source.relative_to(VENDORED_DIR)
        if source.is_file() and not (copy.is_file() and filecmp.cmp(source, copy)):
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
