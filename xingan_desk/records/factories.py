"""Field factories and validator tuples shared by the kind declarations (kinds.py,
ledger_kinds.py, mediation_file.py, deadlines.py): one place that wires a field type to its
checks, normaliser and mask."""

from __future__ import annotations

from typing import Any

from .. import validation as v
from .fields import BoolField, ChoiceField, DateField, IntField, NamedCheck, TextField


def _v(fn: Any) -> NamedCheck:
    """Adapt a validation.check_* function (raw str → message) to a field validator."""
    return NamedCheck(fn)


NAME = (_v(v.check_person_name),)
TEXT = (_v(v.check_printable_text),)
USCC = (_v(v.check_uscc),)
PHONE = (_v(v.check_phone),)
MOBILE = (_v(v.check_mobile),)
ID_NO = (_v(v.check_id_number),)
IP_NUMBERS = (_v(v.check_ip_numbers),)


def text(key: str, label: str, max_len: int = 100, **kw: Any) -> TextField:
    validators = kw.pop("validators", TEXT)
    return TextField(key=key, label=label, max_len=max_len, validators=validators, **kw)


def long_text(key: str, label: str, max_len: int = 5000, **kw: Any) -> TextField:
    return TextField(
        key=key, label=label, max_len=max_len, multiline=True, validators=TEXT, **kw
    )


def person(key: str, label: str, **kw: Any) -> TextField:
    return TextField(key=key, label=label, max_len=50, validators=NAME, searchable=True, **kw)


def phone(key: str, label: str, **kw: Any) -> TextField:
    return TextField(
        key=key, label=label, max_len=30, validators=PHONE, mask="phone", searchable=True, **kw
    )


def uscc(key: str, label: str = "统一社会信用代码", **kw: Any) -> TextField:
    kw.setdefault("role", "uscc")
    return TextField(
        key=key, label=label, max_len=18, validators=USCC, normalizer=v.normalize_uscc,
        searchable=True, **kw,
    )


def choice(key: str, label: str, catalog: str, **kw: Any) -> ChoiceField:
    return ChoiceField(key=key, label=label, catalog=catalog, **kw)


def date(key: str, label: str, **kw: Any) -> DateField:
    return DateField(key=key, label=label, **kw)


def flag(key: str, label: str, **kw: Any) -> BoolField:
    return BoolField(key=key, label=label, **kw)


def count(key: str, label: str, **kw: Any) -> IntField:
    return IntField(key=key, label=label, min_value=0, max_value=1_000_000, **kw)
