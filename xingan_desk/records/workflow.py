"""State machines: a record's status is the fold of its append-only event list.

An event says "action A was taken when the record was in status S". Folding the events in
(hlc, event id) order through the kind's workflow gives the current status. An event whose
`from_status` does not match the folded status at its turn (two windows took different
decisions offline, or an action arrived after a terminal state) is kept but not applied, and
marks the record for a supervisor's review. The fold is deterministic: every replica that has
the same events computes the same status.

Owns the workflow declarations and the fold. Imports no storage and no Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

ROLES = ("clerk", "mediator", "supervisor", "admin")
ROLE_LABELS = {"clerk": "窗口人员", "mediator": "调解员", "supervisor": "主管", "admin": "管理员"}


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    sources: tuple[str, ...]
    target: str
    # keys of the kind's fields this action records (its dialog shows exactly these)
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    # keys of the fields `RecordKind.derive` computes for this action (deadlines, results);
    # an event's payload may carry `fields` + `derives` and nothing else
    derives: tuple[str, ...] = ()
    # group fields (repeating parts: a mediation's sessions, follow-ups) whose rows the event
    # adds to the rows earlier events recorded, instead of replacing them
    appends: tuple[str, ...] = ()
    roles: tuple[str, ...] = ROLES
    confirm: str = ""  # a question to confirm before acting, if any
    # (field, source field): the action's dialog starts an empty field from the record's
    # source field (核定高价值类别 starts from the categories the system judged)
    prefill: tuple[tuple[str, str], ...] = ()
    # the key of the action that replaced this one (its events recorded the same facts): the
    # action stays declared, so the events earlier releases recorded still fold, print and
    # count, and central still accepts them from windows not yet upgraded, but it is not
    # offered (`legal_actions`) and `Desk.act` refuses it; a ledger import's historical steps
    # may still take it (a ledger's 履行情况 column carries no visit details)
    superseded_by: str = ""

    @cached_property
    def payload_fields(self) -> tuple[str, ...]:
        """The field keys an event of this action may record (central and the fold apply
        these and nothing else)."""
        return (*self.fields, *(k for k in self.derives if k not in self.fields))


@dataclass(frozen=True)
class Workflow:
    initial: str
    states: tuple[tuple[str, str], ...]  # (code, 中文)
    actions: tuple[Action, ...]
    terminal: frozenset[str] = field(default_factory=frozenset)

    def state_label(self, code: str) -> str:
        for c, label in self.states:
            if c == code:
                return label
        return code

    def action(self, key: str) -> Action:
        return self._by_key[key]  # KeyError for an unknown action

    @cached_property
    def _by_key(self) -> dict[str, Action]:
        out: dict[str, Action] = {}
        for a in self.actions:
            out.setdefault(a.key, a)  # the first of a key, as a scan in order finds it
        return out

    def legal_actions(self, status: str, role: str | None = None) -> tuple[Action, ...]:
        """The actions offered in `status` (to `role`): superseded ones are not."""
        return tuple(
            a
            for a in self.actions
            if status in a.sources and (role is None or role in a.roles)
            and not a.superseded_by
        )

    def refusal(self, status: str, action_key: str) -> str | None:
        """Chinese reason why the action is not possible now, or None when it is legal."""
        try:
            a = self.action(action_key)
        except KeyError:
            return f"未知的操作“{action_key}”"
        if status in a.sources:
            return None
        allowed = "、".join(self.state_label(s) for s in a.sources)
        return (
            f"当前状态为“{self.state_label(status)}”，不能执行“{a.label}”"
            f"（仅在{allowed}状态下可以）"
        )

    def check(self) -> None:
        codes = {c for c, _ in self.states}
        assert self.initial in codes, self.initial
        for a in self.actions:
            assert a.target in codes, (a.key, a.target)
            assert all(s in codes for s in a.sources), a.key
            assert set(a.required) <= set(a.fields), a.key
            assert set(a.appends) <= set(a.fields), a.key
            if a.superseded_by:
                successor = self.action(a.superseded_by)
                assert set(a.sources) <= set(successor.sources), a.key
                assert not successor.superseded_by, a.key


@dataclass(frozen=True)
class EventLike:
    """What the fold needs of an event (storage rows and sync payloads both provide it)."""

    id: str
    hlc: str
    action: str
    from_status: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fold:
    status: str
    applied: tuple[str, ...]  # event ids, in order
    conflicts: tuple[str, ...]  # event ids kept but not applied
    # field values recorded by the applied events (JSON form), last wins (an action's
    # `appends` add their rows to the earlier ones, in event order); only the keys each
    # action declares (Action.payload_fields): a stray key in a payload changes nothing
    values: dict[str, Any]


def fold(workflow: Workflow, events: Iterable[Any]) -> Fold:
    ordered: Sequence[Any] = sorted(events, key=lambda e: (e.hlc, e.id))
    status = workflow.initial
    applied: list[str] = []
    conflicts: list[str] = []
    values: dict[str, Any] = {}
    for ev in ordered:
        try:
            action = workflow.action(ev.action)
        except KeyError:
            conflicts.append(ev.id)
            continue
        if ev.from_status != status or status not in action.sources:
            conflicts.append(ev.id)
            continue
        status = action.target
        applied.append(ev.id)
        allowed = action.payload_fields
        for k, v in (ev.payload or {}).items():
            if k not in allowed:
                continue
            if k in action.appends:
                values[k] = [*(values.get(k) or []), *(v or [])]
            else:
                values[k] = v
    return Fold(status, tuple(applied), tuple(conflicts), values)
