"""Links between record kinds, declared once: handovers, the enterprise registry, party rows.

A link names fields by their *role* (`Field.role`, declared in kinds.py), or by their key when
the field has no role. Roles say what a field holds ("uscc", "enterprise_name",
"contact_phone", "visitor_phone", "party_name", …); two fields share a role only when they hold
the same fact, so following a role never copies one person's data into another person's field
(a visitor is not the enterprise's contact).

Declared here:
- `HANDOVERS`: a record of one kind opens a new record of another kind prefilled from it
  (转预审备案, 转调解受理), with its copy map.
- `REGISTRY`: the enterprise registry: which kind it is, which role names an enterprise, which
  kinds add an unknown enterprise when saved and from which fields. Autofill from the registry
  follows the roles a kind shares with the registry.
- Party rows: a group whose rows are parties has a sub-field with role "party_name"; its
  sub-fields marked `on_receipt` are the details a receipt shows after the name.

Consumers (Desk, the form, receipts, sync) call the functions below and never spell out field
keys of another kind. Pure: imports no storage and no Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalogs import COUNTY_CODES
from .fields import Field, FieldError, GroupField, RefField
from .kind import RecordKind
from .kinds import KINDS

# --- declaration types --------------------------------------------------------------------------


@dataclass(frozen=True)
class FromRegistry:
    """A copy source read from the enterprise the source record names (by credit code)."""

    name: str  # role (or key) of a field of the registry kind


def registry(name: str) -> FromRegistry:
    return FromRegistry(name)


# A copy source: a field of the source record (role or key), a field of the enterprise it
# names, or a function of the source record's values. A tuple: the first non-empty one.
Source = str | FromRegistry | Callable[[Mapping[str, Any]], Any]
Sources = Source | tuple[Source, ...]


@dataclass(frozen=True, eq=False)
class Handover:
    """A record of `source` opens a new `target` record prefilled from it.

    `copy`: target field (role or key) ← sources. `rows`: a target group (key) gets one row,
    sub-field (role or key) ← sources. `back_ref`: target field given the source's receipt
    number. `source_field`: source field that lists the receipt numbers of the records made
    from it (written by Desk when the target is saved; one per source kind, shared by its
    handovers). `fill_from_registry`: afterwards the
    enterprise the source names fills the target's still-empty fields (`enterprise_fill`).
    """

    source: str
    target: str
    copy: Mapping[str, Sources]
    rows: Mapping[str, Mapping[str, Sources]] = field(default_factory=dict)
    back_ref: str = ""
    source_field: str = ""
    fill_from_registry: bool = True

    @property
    def label(self) -> str:
        """The command that starts it, e.g. "转预审备案"."""
        return f"转{KINDS[self.target].title}"


@dataclass(frozen=True, eq=False)
class Registry:
    """The enterprise registry: shared reference data the other kinds look enterprises up in.

    `key`: the role naming an enterprise (its credit code). `registered_by`: kinds whose new
    record adds the enterprise it names when the registry does not know it yet, copying
    `register` (registry field ← sources of that record; a source the kind lacks is skipped).
    The registry entry's county is the credit code's region when that is one of ours, else
    the registering window's county.
    """

    kind: str
    key: str
    registered_by: tuple[str, ...]
    register: Mapping[str, Sources]


# --- declarations -------------------------------------------------------------------------------


def _party_type(values: Mapping[str, Any]) -> str:
    return "org" if values.get("enterprise_name") else "person"


HANDOVERS: tuple[Handover, ...] = (
    Handover(
        source="consultation",
        target="preexam_filing",
        copy={
            "uscc": "uscc",
            "enterprise_name": "enterprise_name",
            # the registered county: the registry's, else where the visitor said they are
            "county": (registry("county"), "county"),
            "contact_name": "visitor_name",
            "contact_phone": "visitor_phone",
        },
        back_ref="source_consultation",
        source_field="handed_over_to",
    ),
    Handover(
        source="consultation",
        target="mediation",
        copy={"facts": "question"},
        rows={
            "applicants": {
                "party_type": _party_type,
                "party_name": ("enterprise_name", "visitor_name"),
                "uscc": "uscc",
                "legal_rep": registry("legal_rep"),
                "party_phone": ("visitor_phone", registry("contact_phone")),
                "address": registry("address"),
            },
        },
        source_field="handed_over_to",
    ),
)

REGISTRY = Registry(
    kind="enterprise",
    key="uscc",
    registered_by=("consultation", "preexam_filing", "preexam_case",
                   "patent", "pledge", "insurance"),
    register={
        "uscc": "uscc",
        "enterprise_name": "enterprise_name",
        # the person who came for the enterprise becomes its contact when none is known
        "contact_name": ("contact_name", "visitor_name"),
        "contact_phone": ("contact_phone", "visitor_phone"),
    },
)

PARTY_NAME = "party_name"

# --- looking fields up ----------------------------------------------------------------------


def _kind(kind: RecordKind | str) -> RecordKind:
    return KINDS[kind] if isinstance(kind, str) else kind


def _named(fields: tuple[Field, ...], name: str) -> Field | None:
    """The field a link means by `name`: the one with that role, else the one with that key."""
    for f in fields:
        if f.role == name:
            return f
    for f in fields:
        if f.key == name:
            return f
    return None


def field_named(kind: RecordKind | str, name: str) -> Field | None:
    """The top-level field of `kind` with role `name` (or, failing that, key `name`)."""
    return _named(_kind(kind).fields, name)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _first(sources: Sources, fields: tuple[Field, ...], values: Mapping[str, Any],
           enterprise: Mapping[str, Any] | None) -> Any:
    for src in sources if isinstance(sources, tuple) else (sources,):
        if isinstance(src, FromRegistry):
            f = field_named(REGISTRY.kind, src.name)
            value = None if enterprise is None or f is None else enterprise.get(f.key)
        elif isinstance(src, str):
            f = _named(fields, src)
            value = None if f is None else values.get(f.key)
        else:
            value = src(values)
        if not _is_empty(value):
            return value
    return None


# --- handovers ------------------------------------------------------------------------------


def handovers(kind: RecordKind | str) -> tuple[Handover, ...]:
    """The handovers a record of `kind` can start, in declaration order."""
    key = _kind(kind).key
    return tuple(h for h in HANDOVERS if h.source == key)


def handover_targets(kind: RecordKind | str) -> tuple[str, ...]:
    """The kinds a record of `kind` can be handed over to."""
    return tuple(h.target for h in handovers(kind))


def handover_sources(kind: RecordKind | str) -> tuple[str, ...]:
    """The kinds whose records can be handed over to a new record of `kind`."""
    key = _kind(kind).key
    return tuple(dict.fromkeys(h.source for h in HANDOVERS if h.target == key))


def handover(source_kind: RecordKind | str, target_kind: str) -> Handover | None:
    for h in handovers(source_kind):
        if h.target == target_kind:
            return h
    return None


def handover_link_field(kind: RecordKind | str) -> str:
    """The field of `kind` listing the receipt numbers of the records handed over from it
    ("" if none)."""
    for h in handovers(kind):
        if h.source_field:
            return h.source_field
    return ""


def handover_values(
    source_kind: RecordKind | str,
    values: Mapping[str, Any],
    target_kind: str,
    *,
    receipt_no: str | None = None,
    enterprise: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Prefilled values of a `target_kind` record made from a saved `source_kind` record.

    `values`: the source record's values; `receipt_no`: its number (for the back reference);
    `enterprise`: the registry values of the enterprise it names, if known. Only non-empty
    values are returned (the caller lays them over the target's defaults). Raises KeyError
    when no such handover is declared.
    """
    src = _kind(source_kind)
    h = handover(src, target_kind)
    if h is None:
        raise KeyError((src.key, target_kind))
    target = KINDS[h.target]
    out: dict[str, Any] = {}
    for name, sources in h.copy.items():
        f = field_named(target, name)
        value = _first(sources, src.fields, values, enterprise)
        if f is not None and not _is_empty(value):
            out[f.key] = value
    for group_key, row_map in h.rows.items():
        group = target.field(group_key)
        assert isinstance(group, GroupField)
        row: dict[str, Any] = {}
        for name, sources in row_map.items():
            sub = _named(group.fields, name)
            value = _first(sources, src.fields, values, enterprise)
            if sub is not None and not _is_empty(value):
                row[sub.key] = value
        if row:
            out[group.key] = [row]
    if h.back_ref and receipt_no:
        out[h.back_ref] = receipt_no
    if h.fill_from_registry and enterprise:
        out.update(enterprise_fill(target, enterprise, out))
    return out


# --- the enterprise registry ------------------------------------------------------------------


def is_registry(kind: RecordKind | str) -> bool:
    """True for the enterprise registry's own kind."""
    return _kind(kind).key == REGISTRY.kind


def registry_kind() -> str:
    return REGISTRY.kind


def uscc_fields(kind: RecordKind | str) -> tuple[str, ...]:
    """Keys of the top-level fields of `kind` that hold an enterprise's credit code."""
    k = _kind(kind)
    known = _USCC_FIELDS.get(k.key)
    if known is None or known[0] is not k:
        known = _USCC_FIELDS[k.key] = (k, tuple(f.key for f in k.fields
                                                if f.role == REGISTRY.key))
    return known[1]


_USCC_FIELDS: dict[str, tuple[RecordKind, tuple[str, ...]]] = {}  # per kind, asked per record


def uscc_of(kind: RecordKind | str, values: Mapping[str, Any]) -> str | None:
    """The credit code a record names (the record envelope's `enterprise_uscc`), or None."""
    for key in uscc_fields(kind):
        if values.get(key):
            return str(values[key])
    return None


def registers_enterprise(kind: RecordKind | str) -> bool:
    """True if a new record of `kind` adds the enterprise it names to the registry."""
    return _kind(kind).key in REGISTRY.registered_by


def enterprise_fill(
    kind: RecordKind | str,
    enterprise_values: Mapping[str, Any],
    typed_keys: Collection[str],
) -> dict[str, Any]:
    """Values the registry's enterprise gives a record of `kind`: {field key: value}.

    Fills only intake fields that share a role with a registry field (never the credit code
    itself), leaves every key in `typed_keys` alone (what a person typed or a handover
    brought), skips empty registry values and values the field does not accept (a registry
    industry that is not a pre-examination field). A visitor's fields share no role with the
    registry, so they are never filled with the enterprise contact's data.
    """
    target = _kind(kind)
    if is_registry(target):
        return {}
    reg = KINDS[REGISTRY.kind]
    out: dict[str, Any] = {}
    for f in target.intake_fields:
        if not f.role or f.role == REGISTRY.key or f.key in typed_keys:
            continue
        source = _named(reg.fields, f.role)
        if source is None or source.role != f.role:
            continue
        value = enterprise_values.get(source.key)
        if f.is_empty(value):
            continue
        try:
            cleaned = f.clean(value)
        except FieldError:
            continue
        if not f.is_empty(cleaned):
            out[f.key] = cleaned
    return out


def enterprise_from(
    kind: RecordKind | str,
    values: Mapping[str, Any],
    *,
    default_county: str | None = None,
) -> dict[str, Any] | None:
    """The registry entry a new record of `kind` adds ({registry field key: clean value}), or
    None when the kind registers no enterprise or the record does not name one completely
    enough (the clerk can add it by hand). Whether the registry already has it is the caller's
    question."""
    src = _kind(kind)
    if not registers_enterprise(src):
        return None
    reg = KINDS[REGISTRY.kind]
    raw: dict[str, Any] = {}
    for name, sources in REGISTRY.register.items():
        f = field_named(reg, name)
        value = _first(sources, src.fields, values, None)
        if f is not None and not _is_empty(value):
            raw[f.key] = value
    code = raw.get(uscc_fields(reg)[0])
    name_field = field_named(reg, "enterprise_name")
    if not code or name_field is None or not raw.get(name_field.key):
        return None
    county = field_named(reg, "county")
    if county is not None:
        region = str(code)[2:8]
        raw[county.key] = region if region in COUNTY_CODES else default_county
    cleaned, errors = reg.clean({k: v for k, v in raw.items() if not _is_empty(v)})
    if errors:
        return None
    return {k: v for k, v in cleaned.items() if not _is_empty(v)}


# --- parties ----------------------------------------------------------------------------------


def is_party_group(group: Field) -> bool:
    """True for a repeating group whose rows are parties (申请人, 被申请人)."""
    return isinstance(group, GroupField) and any(f.role == PARTY_NAME for f in group.fields)


def party_name_key(group: GroupField) -> str:
    """The sub-field naming a party (its row's heading on papers)."""
    f = _named(group.fields, PARTY_NAME)
    if f is None:
        raise KeyError(PARTY_NAME)
    return f.key


def receipt_party_fields(kind: RecordKind | str, group: GroupField | str) -> tuple[Field, ...]:
    """The details a receipt shows after a party's name: the group's sub-fields marked
    `on_receipt`, in declaration order (minimum necessary; masked like any receipt value)."""
    g = _kind(kind).field(group) if isinstance(group, str) else group
    if not isinstance(g, GroupField):
        return ()
    return tuple(f for f in g.fields if f.on_receipt and f.role != PARTY_NAME)


# --- checks, run once at import -----------------------------------------------------------------


def _check_unique_roles(where: str, fields: tuple[Field, ...]) -> None:
    keys = {f.key for f in fields}
    seen: set[str] = set()
    for f in fields:
        if not f.role:
            continue
        if f.role in seen:
            raise ValueError(f"{where}: role {f.role!r} on two fields")
        if f.role in keys and f.role != f.key:
            raise ValueError(f"{where}: role {f.role!r} is another field's key")
        seen.add(f.role)
        if isinstance(f, GroupField):
            _check_unique_roles(f"{where}.{f.key}", f.fields)


def _check_sources(where: str, sources: Sources, fields: tuple[Field, ...],
                   *, each: bool) -> None:
    """Registry names must resolve; source names too when `each` (one source kind), else
    at least one of a tuple's names (several source kinds, each with its own fields)."""
    items = sources if isinstance(sources, tuple) else (sources,)
    for s in items:
        if isinstance(s, FromRegistry) and field_named(REGISTRY.kind, s.name) is None:
            raise ValueError(f"{where}: the registry has no field {s.name!r}")
        if isinstance(s, str) and each and _named(fields, s) is None:
            raise ValueError(f"{where}: no source field {s!r}")
    names = [s for s in items if isinstance(s, str)]
    if names and not each and all(_named(fields, s) is None for s in names):
        raise ValueError(f"{where}: none of {names!r} is a field")


def check() -> None:
    """Every name in the declarations resolves; roles are unambiguous within a kind."""
    for kind in KINDS.values():
        _check_unique_roles(kind.key, kind.fields)
    for h in HANDOVERS:
        src, target = KINDS[h.source], KINDS[h.target]
        where = f"handover {h.source}→{h.target}"
        for name, sources in h.copy.items():
            if field_named(target, name) is None:
                raise ValueError(f"{where}: no target field {name!r}")
            _check_sources(where, sources, src.fields, each=True)
        for group_key, row_map in h.rows.items():
            group = target.field(group_key)
            if not isinstance(group, GroupField):
                raise ValueError(f"{where}: {group_key!r} is not a group")
            for name, sources in row_map.items():
                if _named(group.fields, name) is None:
                    raise ValueError(f"{where}: no row field {name!r}")
                _check_sources(where, sources, src.fields, each=True)
        if h.back_ref and not isinstance(target.field(h.back_ref), RefField):
            raise ValueError(f"{where}: back_ref {h.back_ref!r} is not a reference")
        if h.source_field:
            src.field(h.source_field)
        if h.source_field != handover_link_field(src):
            raise ValueError(f"{where}: handovers from {h.source} differ in source_field")
    reg = KINDS[REGISTRY.kind]
    if len(uscc_fields(reg)) != 1:
        raise ValueError("the registry needs exactly one credit-code field")
    for name, sources in REGISTRY.register.items():
        if field_named(reg, name) is None:
            raise ValueError(f"registry: no field {name!r}")
        for key in REGISTRY.registered_by:
            _check_sources(f"registry ← {key}", sources, KINDS[key].fields, each=False)
    for key in REGISTRY.registered_by:
        for name in (REGISTRY.key, "enterprise_name"):
            if field_named(key, name) is None:
                raise ValueError(f"registry ← {key}: no {name!r} field")


# Kinds of which an enterprise has one active record at a time (not in a terminal status): a
# second 预审备案 for the same credit code is saved only after the clerk confirms it.
ONE_ACTIVE_PER_ENTERPRISE: frozenset[str] = frozenset({"preexam_filing"})


def one_active_per_enterprise(kind: RecordKind | str) -> bool:
    return _kind(kind).key in ONE_ACTIVE_PER_ENTERPRISE


check()

__all__ = [
    "HANDOVERS",
    "ONE_ACTIVE_PER_ENTERPRISE",
    "REGISTRY",
    "FromRegistry",
    "Handover",
    "Registry",
    "enterprise_fill",
    "enterprise_from",
    "field_named",
    "handover",
    "handover_link_field",
    "handover_sources",
    "handover_targets",
    "handover_values",
    "handovers",
    "is_party_group",
    "is_registry",
    "one_active_per_enterprise",
    "party_name_key",
    "receipt_party_fields",
    "registers_enterprise",
    "registry",
    "registry_kind",
    "uscc_fields",
    "uscc_of",
]
