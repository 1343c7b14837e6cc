"""RecordKind: one declaration per kind of record, and its pure validation (`clean`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .fields import Field, FieldError, GroupField, TextField
from .workflow import Workflow

STREAM_COUNTY = "county"  # records travel in `county:<code>` of their county
STREAM_GLOBAL = "global"  # League-wide reference data, read by every window
STREAMS = (STREAM_COUNTY, STREAM_GLOBAL)
MEMO_MAX = 200_000  # outcomes a `clean(memo=)` dict keeps at most
CleanMemo = dict[tuple[str, type, Any], tuple[bool, Any]]


# The ledger's own number of an imported record (原台账编号, issue 12): a field of every kind,
# written only by an import (importing/run.py → BulkRow.source_no), shown on the record,
# searchable, and synced like any other field, so central and every window in scope see it.
# Not exported (an export's 登记编号 is what a re-import keys on) and never typed.
SOURCE_NO = TextField(key="source_no", label="原台账编号", max_len=200, stage="system",
                      searchable=True, export=False)


@dataclass(frozen=True)
class Deadline:
    label: str
    due: dt.date
    working_days: bool = False


CrossCheck = Callable[[Mapping[str, Any]], Mapping[str, str]]
DeadlineRule = Callable[[str, Mapping[str, Any], Any], list[Deadline]]
AutoActions = Callable[[Mapping[str, Any]], tuple[str, ...]]
# (action key, the record's values after the action's own fields, calendar) → derived values
Derive = Callable[[str, Mapping[str, Any], Any], dict[str, Any]]


def _no_deadlines(status: str, values: Mapping[str, Any], calendar: Any) -> list[Deadline]:
    return []


def _no_auto(values: Mapping[str, Any]) -> tuple[str, ...]:
    return ()


def _no_derive(action: str, values: Mapping[str, Any], calendar: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class RecordKind:
    key: str  # machine key: consultation, enterprise, ... (CLI, export, sync)
    title: str  # 中文名
    number_prefix: str  # two letters leading the receipt number, e.g. ZX
    fields: tuple[Field, ...]
    title_fields: tuple[str, ...]  # what names a record in lists and search results
    receipt_title: str = ""
    aliases: tuple[str, ...] = ()
    workflow: Workflow | None = None
    checks: tuple[CrossCheck, ...] = ()
    deadlines: DeadlineRule = _no_deadlines
    auto_actions: AutoActions = _no_auto
    derive: Derive = _no_derive
    icon: str = ""
    # Shared reference data: besides its owner window, any window whose scope covers the
    # record's county may edit its intake fields (League windows every county, a county window
    # its own); concurrent edits merge per field by HLC. Voiding stays with the owner.
    shared_edit: bool = False
    # Which sync stream carries the kind: STREAM_COUNTY (the owner window's county) or
    # STREAM_GLOBAL (League-wide reference data every window reads).
    stream: str = "county"
    # The field holding the record's county, when it is not the registering window's county
    # (an enterprise's county is its registered county). None: the window's county.
    county_field: str | None = None
    # Fields whose value identifies the record in the League (an enterprise's credit code):
    # they cannot be edited, and two live records with the same value are listed for review.
    unique_fields: tuple[str, ...] = ()
    _index: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not any(f.key == SOURCE_NO.key for f in self.fields):
            object.__setattr__(self, "fields", (*self.fields, SOURCE_NO))
        keys = [f.key for f in self.fields]
        assert len(keys) == len(set(keys)), f"duplicate field keys in {self.key}"
        self._index.update({f.key: f for f in self.fields})
        assert self.stream in STREAMS, (self.key, self.stream)
        for k in (*self.unique_fields, *([self.county_field] if self.county_field else [])):
            assert k in self._index, (self.key, k)
        if self.workflow:
            self.workflow.check()
            for a in self.workflow.actions:
                for k in a.payload_fields:
                    assert k in self._index, (self.key, a.key, k)
                for k, src in a.prefill:
                    assert k in a.fields and src in self._index, (self.key, a.key, k, src)

    @property
    def is_global(self) -> bool:
        """True when the kind travels in the League-wide `global` stream."""
        return self.stream == STREAM_GLOBAL

    def county_of(self, values: Mapping[str, Any], window_county: str) -> str:
        """The record's county: its county field when the kind declares one and it is set,
        else the registering window's county."""
        if self.county_field and values.get(self.county_field):
            return str(values[self.county_field])
        return window_county

    def field(self, key: str) -> Field:
        return self._index[key]

    def has_field(self, key: str) -> bool:
        return key in self._index

    @cached_property
    def intake_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.stage == "intake")

    @property
    def list_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.in_list)

    @property
    def export_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.export)

    @property
    def receipt_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.on_receipt)

    @property
    def search_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.searchable)

    def status_label(self, status: str) -> str:
        return self.workflow.state_label(status) if self.workflow else ""

    def clean(
        self,
        raw: Mapping[str, Any],
        *,
        keys: tuple[str, ...] | None = None,
        existing: Mapping[str, Any] | None = None,
        memo: CleanMemo | None = None,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Validate what was typed. Pure: used by the form, imports and the sync receiver.

        `keys` limits the fields checked (an action's fields, or an update's changed fields);
        `existing` supplies the other values for cross-field checks on updates.
        `memo` (bulk work: one dict for many rows) keeps each field's outcome for a repeated
        plain value (text, number, date, none), so a value a ledger repeats is checked once.
        Returns (values, errors); errors maps field keys to Chinese messages, in form order.
        """
        selected = self.fields if keys is None else self._selected(keys)
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for f in selected:
            value = raw.get(f.key)
            if memo is not None and (value is None or isinstance(value, str | int | float
                                                                 | dt.date)):
                mkey = (f.key, type(value), value)
                hit = memo.get(mkey)
                if hit is None:
                    try:
                        hit = (True, f.clean(value))
                    except FieldError as exc:
                        hit = (False, str(exc))
                    if not isinstance(hit[1], list | dict) and len(memo) < MEMO_MAX:
                        memo[mkey] = hit
                if hit[0]:
                    values[f.key] = hit[1]
                else:
                    errors[f.key] = hit[1]
                continue
            try:
                values[f.key] = f.clean(value)
            except FieldError as exc:
                errors[f.key] = str(exc)
        unknown = raw.keys() - self._index.keys()
        if unknown:
            errors["_unknown"] = "未知字段：" + "、".join(sorted(unknown))
        merged = {**(existing or {}), **values}
        for check in self.checks:
            for k, message in check(merged).items():
                if k not in errors and (keys is None or k in values):
                    errors[k] = message
        if len(errors) > 1:
            order = self._order
            errors = dict(sorted(errors.items(), key=lambda kv: order.get(kv[0], -1)))
        return values, errors

    def _selected(self, keys: tuple[str, ...]) -> tuple[Field, ...]:
        """The fields named by `keys` (remembered: bulk work asks for the same keys per row)."""
        if not isinstance(keys, tuple):
            return tuple(self.field(k) for k in keys)
        known = self._by_keys.get(keys)
        if known is None:
            known = tuple(self.field(k) for k in keys)
            if len(self._by_keys) < 256:
                self._by_keys[keys] = known
        return known

    @cached_property
    def _by_keys(self) -> dict[tuple[str, ...], tuple[Field, ...]]:
        return {}

    @cached_property
    def _order(self) -> dict[str, int]:
        """Field key → its position (errors are listed in form order)."""
        return {f.key: i for i, f in enumerate(self.fields)}

    def display(self, key: str, value: Any) -> str:
        return self.field(key).display(value)

    def title_of(self, values: Mapping[str, Any]) -> str:
        parts: list[str] = []
        for k in self.title_fields:
            f = self.field(k)
            v = values.get(k)
            if isinstance(f, GroupField):
                names = [str(r.get("name") or "") for r in v or []]
                text = "、".join(n for n in names if n)
            else:
                text = f.display(v)
            if text:
                parts.append(text)
        return " / ".join(parts)

    def to_json(self, values: Mapping[str, Any]) -> dict[str, Any]:
        index, plain = self._index, self._plain_json
        return {k: v if k in plain else index[k].to_json(v)
                for k, v in values.items() if k in index}

    def from_json(self, data: Mapping[str, Any]) -> dict[str, Any]:
        index, plain = self._index, self._plain_json
        return {k: v if k in plain else index[k].from_json(v)
                for k, v in data.items() if k in index}

    @cached_property
    def _plain_json(self) -> frozenset[str]:
        """Keys of the fields whose JSON form is the value itself (text, choices, numbers)."""
        return frozenset(f.key for f in self.fields if type(f).to_json is Field.to_json
                         and type(f).from_json is Field.from_json)

    @cached_property
    def group_keys(self) -> frozenset[str]:
        """Keys of the repeating groups (stored in their JSON form)."""
        return frozenset(f.key for f in self.fields if isinstance(f, GroupField))

    @cached_property
    def later_keys(self) -> frozenset[str]:
        """Keys of the fields only workflow actions record or derive (stage action/derived)."""
        return frozenset(f.key for f in self.fields if f.stage in ("action", "derived"))
