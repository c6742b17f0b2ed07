"""HTML pages of the reporting package: one Jinja2 environment, templates in
reporting/html_templates/ (loaded as package data), autoescaping always on.

Uploaded values are hostile (file names, cell values, messages quoting them): every value
reaches a page through ``{{ … }}`` and is escaped there; no template marks data as safe.
The page frame, the CSS, tables and status tones live in ``base.html`` and ``macros.html``
and are shared by the audit page and the school feedback reports.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment, PackageLoader, StrictUndefined

from reporting.labels import HEADER_RGB


class Toned(NamedTuple):
    """A table cell shown in a tone (a CSS class of base.html: ok, bad, warn)."""

    value: object
    tone: str = ""


class Linked(NamedTuple):
    """A table cell shown as a link (href relative to the page; both escaped)."""

    value: object
    href: str


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reporting", "html_templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests["toned"] = lambda value: isinstance(value, Toned)
    env.tests["linked"] = lambda value: isinstance(value, Linked)
    env.globals["header_rgb"] = HEADER_RGB
    return env


def write_page(path: Path, template: str, **context) -> Path:
    """Render a template straight into a file (streamed: long tables are never held)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = environment().get_template(template).stream(**context)
    with open(path, "w", encoding="utf-8") as out:
        stream.dump(out)
    return path
