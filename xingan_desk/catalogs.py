"""Choice lists and other editable catalogs shipped in `resources/catalogs/` (TOML).

Owns loading and caching of catalogs; no knowledge of record kinds or storage.
"""

from __future__ import annotations

import tomllib
from functools import cache

from .paths import resource_path


@cache
def _choices_file() -> dict[str, object]:
    with resource_path("catalogs", "choices.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def choices(name: str) -> tuple[tuple[str, str], ...]:
    """The (code, label) pairs of one choice list, in display order."""
    data = _choices_file()
    if name not in data:
        raise KeyError(f"unknown catalog {name!r}")
    section = data[name]
    assert isinstance(section, dict)
    items = section.get("items", [])
    retired = section.get("retired", [])
    return tuple((str(c), str(label)) for c, label in [*items, *retired])


@cache
def active_choices(name: str) -> tuple[tuple[str, str], ...]:
    section = _choices_file()[name]
    assert isinstance(section, dict)
    return tuple((str(c), str(label)) for c, label in section.get("items", []))


def label_of(name: str, code: str | None) -> str:
    if code is None or code == "":
        return ""
    for c, label in choices(name):
        if c == code:
            return label
    return str(code)


def code_of(name: str, text: str) -> str | None:
    """Accept either a code or a label (as typed in an import) and return the code."""
    text = text.strip()
    for c, label in choices(name):
        # "★★ 不满意": the words alone are accepted too
        if text in (c, label, label.split()[-1]):
            return c
    return None


COUNTY_CODES = ("152200", "152201", "152202", "152221", "152222", "152223", "152224")
LEAGUE_CODE = "152200"


def county_name(code: str) -> str:
    return label_of("counties", code)
