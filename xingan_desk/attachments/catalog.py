"""Material types an attachment is filed under, per record kind
(`resources/catalogs/materials.toml`); a record with a materials checklist (预审备案
`materials`) offers its own rows first, so ticking a row and attaching its scan is one step."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from typing import Any

from ..catalogs import active_choices
from ..paths import resource_path

CHECKLIST_FIELD = "materials"  # the group field holding a record's checklist rows
CHECKLIST_CATALOG = "preexam_materials"


@cache
def _catalog() -> dict[str, Any]:
    with resource_path("catalogs", "materials.toml").open("rb") as fh:
        return tomllib.load(fh)


def other_label() -> str:
    return str(_catalog().get("other", {}).get("label", "其他材料"))


def checklist_items(values: Mapping[str, Any]) -> list[str]:
    """The item names of a record's materials checklist (empty for kinds without one)."""
    rows = values.get(CHECKLIST_FIELD) or []
    return [str(r.get("item") or "").strip() for r in rows
            if isinstance(r, Mapping) and str(r.get("item") or "").strip()]


def material_types(kind: str, values: Mapping[str, Any] | None = None) -> list[str]:
    """The material types offered for a record of `kind` (its checklist rows first)."""
    out: list[str] = []
    if values is not None:
        out.extend(checklist_items(values))
    if kind == "preexam_filing":
        out.extend(label for _, label in active_choices(CHECKLIST_CATALOG))
    section = _catalog().get(kind, {})
    out.extend(str(x) for x in section.get("items", []))
    out.append(other_label())
    return list(dict.fromkeys(out))  # first occurrence wins


__all__ = ["CHECKLIST_FIELD", "checklist_items", "material_types", "other_label"]
