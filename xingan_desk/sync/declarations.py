"""The field declarations central enforces, serialised from records/kinds.py.

`init_central` stores, per kind, `field_specs(kind)` in `sync.workflow.fields` and, per
action, its payload fields and required fields in `sync.workflow_action`; the PL/pgSQL in
sync/sql/validate.sql checks every pushed value against them. One source of truth: the kinds.
Named checks (`validation.check_*`) have a PL/pgSQL twin each (`sync._chk_<name>`), proven
equal by the shared vectors in tests/sync/test_central_validation.py.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from typing import Any

from .. import catalogs
from ..records.fields import (
    BoolField,
    ChoiceField,
    DateField,
    DateTimeField,
    Field,
    GroupField,
    IntField,
    MoneyField,
    MultiChoiceField,
    NamedCheck,
    RefField,
    TextField,
)
from ..records.kind import RecordKind
from ..validation import HAN_RANGES, NAME_DOTS, NAME_OTHER_CHARS, check_printable_text

# validation.check_* functions central implements (sync/sql/validate.sql: sync._chk_<name>)
# (checks.sql: sync._chk_<name> for the phone, publication, trademark, IP-number-list and
# classification checks)
CENTRAL_CHECKS = frozenset({
    "check_printable_text", "check_person_name", "check_uscc", "check_id_number",
    "check_mobile", "check_email", "check_patent_application_number",
    "check_phone", "check_landline", "check_publication_number", "check_trademark_number",
    "check_ip_number", "check_ip_numbers", "check_classification",
})

# rules over a group's rows (GroupField.validators that are not named checks) and a kind's
# cross-field rules (RecordKind.checks) central implements, by the Python function's name
# (sync/sql/kind_checks.sql: sync._group_check / sync._kind_check)
CENTRAL_GROUP_CHECKS = frozenset({"_parties_check"})
CENTRAL_KIND_CHECKS = frozenset({
    "_consultation_checks", "_enterprise_checks", "_filing_checks", "_case_checks",
    "_mediation_checks", "_rating_checks",
    "_patent_checks", "_pledge_checks", "_insurance_checks", "_navigation_checks",
    "_agency_checks",
    "confirmation_checks",  # records/mediation_file.py (人民调解法 §33)
})

SYSTEM_REF_MAX = 1000


def _fn_name(fn: Any) -> str:
    return str(getattr(fn, "__name__", type(fn).__name__))


def _spec(f: Field) -> dict[str, Any]:
    spec: dict[str, Any] = {"label": f.label, "required": f.required, "stage": f.stage,
                            "type": f.type_name}
    checks = [v.name for v in f.validators if isinstance(v, NamedCheck)]
    spec["checks"] = [c for c in checks if c in CENTRAL_CHECKS]
    if isinstance(f, TextField):
        spec.update(max_len=f.max_len, multiline=f.multiline)
    elif isinstance(f, RefField):
        # a system link is written by the application, not typed (the handover link holds
        # several numbers joined by ", "), so it gets room beyond one number's 40 characters
        spec.update(type="ref", max_len=SYSTEM_REF_MAX if f.stage == "system" else 40)
    elif isinstance(f, IntField):
        spec.update(min=f.min_value, max=f.max_value)
    elif isinstance(f, MoneyField):
        spec.update(max=str(f.max_value))
    elif isinstance(f, DateField):
        spec.update(min_year=f.min_year, not_future=f.not_future)
    elif isinstance(f, ChoiceField | MultiChoiceField):
        spec.update(codes=[c for c, _ in catalogs.choices(f.catalog)])
    elif isinstance(f, GroupField):
        spec.update(min_rows=f.min_rows, max_rows=f.max_rows,
                    fields={s.key: _spec(s) for s in f.fields},
                    group_checks=[_fn_name(v) for v in f.validators
                                  if not isinstance(v, NamedCheck)
                                  and _fn_name(v) in CENTRAL_GROUP_CHECKS])
    elif isinstance(f, BoolField | DateTimeField):
        pass
    else:  # a new field type must be taught to central first
        raise TypeError(f"central cannot check field type {type(f).__name__} ({f.key})")
    return spec


def field_specs(kind: RecordKind) -> dict[str, Any]:
    """{field key: spec} for one kind (what sync._check_field reads)."""
    return {f.key: _spec(f) for f in kind.fields}


def kind_check_names(kind: RecordKind) -> list[str]:
    """The kind's cross-field rules (RecordKind.checks) central runs, by name."""
    return [_fn_name(c) for c in kind.checks if _fn_name(c) in CENTRAL_KIND_CHECKS]


def unchecked_validators(kind: RecordKind) -> list[str]:
    """Checks of the kind that central does not run (reported, not enforced): named field
    checks ("key:check_name"), group rules ("key:function") and cross-field rules
    ("checks:function")."""
    out: list[str] = []

    def walk(fields: tuple[Field, ...]) -> None:
        for f in fields:
            out.extend(f"{f.key}:{v.name}" for v in f.validators
                       if isinstance(v, NamedCheck) and v.name not in CENTRAL_CHECKS)
            if isinstance(f, GroupField):
                out.extend(f"{f.key}:{_fn_name(v)}" for v in f.validators
                           if not isinstance(v, NamedCheck)
                           and _fn_name(v) not in CENTRAL_GROUP_CHECKS)
                walk(f.fields)

    walk(kind.fields)
    out.extend(f"checks:{_fn_name(c)}" for c in kind.checks
               if _fn_name(c) not in CENTRAL_KIND_CHECKS)
    return out


def _ranges(codes: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for c in codes:
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def _class(codes: list[int]) -> str:
    return "".join(f"\\U{a:08X}" if a == b else f"\\U{a:08X}-\\U{b:08X}"
                   for a, b in _ranges(codes))


@cache
def unprintable_class() -> str:
    """A regex bracket body matching every character validation.check_printable_text
    refuses, computed by asking it about each code point (the refusal is per character)."""
    return _class([c for c in range(sys.maxunicode + 1)
                   if not 0xD800 <= c <= 0xDFFF and check_printable_text(chr(c)) is not None])


@cache
def name_classes() -> dict[str, str]:
    """Regex bracket bodies for validation.check_person_name: the characters a name may hold
    (`name_class`), the middle dots it may not start or end with (`name_dots`), and the
    letters one of which it must hold (`name_letters`)."""
    han = [c for lo, hi in HAN_RANGES for c in range(lo, hi + 1)]
    letters = sorted({*han, *_latin()})
    extra = [ord(c) for c in NAME_OTHER_CHARS]
    return {"name_class": _class(sorted({*letters, *extra})),
            "name_dots": _class(sorted(ord(c) for c in NAME_DOTS)),
            "name_letters": _class(letters)}


def _latin() -> list[int]:
    return [c for c in range(sys.maxunicode + 1)
            if chr(c).isalpha() and "LATIN" in unicodedata.name(chr(c), "")]


@cache
def decimal_digits() -> dict[str, str]:
    """Every character Python's regex \\d and int() read as a decimal digit (Unicode category
    Nd, e.g. Arabic-Indic or full-width digits) and, in the same order, its ASCII digit: the
    classification twin maps them before matching, as validation.check_classification
    accepts them."""
    chars = [chr(c) for c in range(sys.maxunicode + 1)
             if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) == "Nd"]
    return {"decimal_digits": "".join(chars),
            "decimal_values": "".join(str(unicodedata.decimal(c)) for c in chars)}


def latin_letter_class() -> str:
    """A regex bracket body matching the letters validation.check_person_name accepts as
    Latin (str.isalpha() and LATIN in the Unicode name), from Python's own Unicode data."""
    return _class(_latin())


__all__ = ["CENTRAL_CHECKS", "CENTRAL_GROUP_CHECKS", "CENTRAL_KIND_CHECKS", "decimal_digits",
           "field_specs", "kind_check_names", "latin_letter_class", "name_classes",
           "unchecked_validators", "unprintable_class"]
