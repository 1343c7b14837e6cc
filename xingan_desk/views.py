"""Frozen data objects handed from the core to its callers (UI, CLI, printing, export).

Never ORM objects or sessions: views are safe to keep, compare and pass between threads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalogs import county_name
from .masking import mask
from .records.fields import GroupField
from .records.kinds import KINDS


@dataclass(frozen=True)
class Identity:
    installation_id: str
    county_code: str
    window_no: str
    generation: int

    @property
    def window_code(self) -> str:
        return f"{self.county_code}-{self.window_no}"

    @property
    def county_name(self) -> str:
        return county_name(self.county_code)

    @property
    def is_league(self) -> bool:
        return self.county_code == "152200"

    @property
    def label(self) -> str:
        return f"{self.county_name} {self.window_no}号窗口"


@dataclass(frozen=True)
class UserView:
    id: str
    username: str
    display_name: str
    role: str
    active: bool = True


@dataclass(frozen=True)
class RecordView:
    id: str
    kind: str
    receipt_no: str
    status: str
    owner: str
    county_code: str
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str
    version: int
    title: str
    values: Mapping[str, Any]
    voided: bool = False
    void_reason: str | None = None
    needs_review: bool = False
    due_date: dt.date | None = None
    due_label: str | None = None
    print_count: int = 0

    @property
    def kind_title(self) -> str:
        return KINDS[self.kind].title

    @property
    def status_label(self) -> str:
        if self.voided:
            return "已作废"
        return KINDS[self.kind].status_label(self.status)

    def display(self, key: str, *, masked: bool = False, full: bool = False) -> str:
        """The field as text; `full` gives a group's rows with every carried sub-field
        (GroupField.full_text: exports), not only the in-list ones."""
        f = KINDS[self.kind].field(key)
        value = self.values.get(key)
        if isinstance(f, GroupField):
            rows = masked_rows(f, value) if masked else value
            return f.full_text(rows) if full else f.display(rows)
        if masked and f.mask:
            return mask(f.mask, f.display(value))
        return f.display(value)


def masked_rows(group: GroupField, rows: Any) -> list[dict[str, Any]]:
    out = []
    for row in rows or []:
        new = dict(row)
        for sub in group.fields:
            if sub.mask and new.get(sub.key):
                new[sub.key] = mask(sub.mask, str(new[sub.key]))
        out.append(new)
    return out


@dataclass(frozen=True)
class EventView:
    id: str
    action: str
    action_label: str
    from_status: str
    to_status: str
    payload: Mapping[str, Any]
    actor: str
    owner: str
    created_at: dt.datetime
    applied: bool


@dataclass(frozen=True)
class AuditView:
    id: int
    at: dt.datetime
    username: str
    window_code: str
    action: str
    receipt_no: str | None
    changes: Mapping[str, Any]
    detail: str


@dataclass(frozen=True)
class Changes:
    """What a mutation touched, so views refresh only what they show."""

    records: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    outbox: int = 0  # outbox entries written (> 0 means a sync is worth requesting)

    @property
    def needs_sync(self) -> bool:
        return self.outbox > 0

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.records | other.records, self.kinds | other.kinds,
                       self.outbox + other.outbox)


@dataclass(frozen=True)
class Query:
    kind: str | None = None
    text: str = ""
    status: str | None = None
    county: str | None = None
    date_from: dt.date | None = None  # created, China time, inclusive
    date_to: dt.date | None = None
    created_by: str | None = None
    include_voided: bool = False
    needs_review: bool | None = None
    due_before: dt.date | None = None
    order_by: str = "created_at"  # an envelope column or a field key of `kind`
    descending: bool = True
    limit: int | None = None
    offset: int = 0  # rows skipped (the lazy list's next chunk)
    extra: Mapping[str, Any] = field(default_factory=dict)  # field key → exact value

    def __post_init__(self) -> None:
        # Search text comes straight from an input box: a lone UTF-16 surrogate (a broken
        # paste, half an emoji) cannot be encoded for SQLite, so it is dropped here
        if any("\ud800" <= ch <= "\udfff" for ch in self.text):
            object.__setattr__(self, "text", clean_text(self.text))


def clean_text(value: str) -> str:
    """`value` as valid Unicode: surrogate pairs joined, lone surrogates dropped."""
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
