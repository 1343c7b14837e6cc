"""Deadlines a supervisor can act on: derived deadlines that follow the holiday table, staged
warnings, and the supervision actions (催办, 延期) every kind with deadlines declares.

* **Re-derivation.** A derived deadline (a `stage="derived"` date such as 调解终结期限) is
  computed when its action is taken, and again by every fold of an open record with the
  holiday table all windows share (shipped + the League's entries): when the League enters
  next year's holidays, the deadlines of open records move, the same way at every window (each
  folds the same events with the same synced table). Closed records keep theirs.
* **Stages.** `due_stage`: "overdue" (red) after the day, "soon" (yellow) within N working
  days (the setting `due_warn_workdays`), else None.
* **催办 / 延期.** `supervision(kind)` adds the fields and one self-loop action per open state
  (`urge_<state>`, `extend_<state>`); they are ordinary workflow actions, so forms, the audit
  log, sync and central's checks follow from the declaration. An extension moves the record's
  nearest deadline while the record stays in the state it was extended in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .factories import TEXT
from .fields import DateField, Field, TextField
from .kind import Deadline, RecordKind
from .workflow import Action, Workflow

__all__ = ["DUE_WARN_DEFAULT", "DUE_WARN_SETTING", "EXTEND", "OVERDUE", "SOON",
           "SUPERVISOR_ROLES", "URGE",
           "apply_extension", "derived_date_keys", "due_stage", "is_supervision",
           "rederived_dates", "supervision"]

OVERDUE = "overdue"
SOON = "soon"
DUE_WARN_SETTING = "due_warn_workdays"
DUE_WARN_DEFAULT = 3
SUPERVISOR_ROLES = ("supervisor", "admin")
URGE, EXTEND = "urge", "extend"


_DERIVED_DATES: dict[str, tuple[RecordKind, tuple[str, ...]]] = {}  # folds call this often


def derived_date_keys(kind: RecordKind) -> tuple[str, ...]:
    cached = _DERIVED_DATES.get(kind.key)
    if cached is not None and cached[0] is kind:
        return cached[1]
    keys = tuple(f.key for f in kind.fields if f.stage == "derived" and isinstance(f, DateField))
    _DERIVED_DATES[kind.key] = (kind, keys)
    return keys


def rederived_dates(kind: RecordKind, applied_actions: Iterable[str], values: Mapping[str, Any],
                    calendar: Any) -> dict[str, Any]:
    """The derived deadline dates of the applied actions (in order), computed again from the
    record's values with `calendar`."""
    keys = set(derived_date_keys(kind))
    wf = kind.workflow
    if not keys or wf is None:
        return {}
    out: dict[str, Any] = {}
    for key in applied_actions:
        try:
            action = wf.action(key)
        except KeyError:
            continue
        wanted = [k for k in action.derives if k in keys]
        if wanted:
            derived = kind.derive(key, {**values, **out}, calendar)
            out.update({k: derived[k] for k in wanted if k in derived})
    return out


def due_stage(due: dt.date | None, today: dt.date, calendar: Any,
              warn_workdays: int = DUE_WARN_DEFAULT) -> str | None:
    """OVERDUE after the due day, SOON up to `warn_workdays` working days before it."""
    if due is None:
        return None
    if due < today:
        return OVERDUE
    if warn_workdays > 0 and due <= calendar.add_workdays(today, warn_workdays):
        return SOON
    return None


# --- 催办 / 延期 ----------------------------------------------------------------------------------
_FIELDS: tuple[Field, ...] = (
    TextField(key="urge_note", label="催办事由", max_len=300, stage="action", group="督办",
              validators=TEXT),
    TextField(key="extend_reason", label="延期理由", max_len=300, stage="action", group="督办",
              validators=TEXT),
    DateField(key="extended_to", label="延期至", stage="action", group="督办"),
    TextField(key="extended_in", label="延期时状态", max_len=32, stage="derived", group="督办",
              validators=TEXT),
)


def is_supervision(action_key: str) -> bool:
    return action_key.startswith((f"{URGE}_", f"{EXTEND}_"))


def _actions(wf: Workflow, open_states: Iterable[str]) -> tuple[Action, ...]:
    out: list[Action] = []
    for state in open_states:
        label = wf.state_label(state)
        out.append(Action(f"{URGE}_{state}", "催办", (state,), state, fields=("urge_note",),
                          required=("urge_note",), roles=SUPERVISOR_ROLES))
        out.append(Action(f"{EXTEND}_{state}", "延期", (state,), state,
                          fields=("extended_to", "extend_reason"),
                          required=("extended_to", "extend_reason"), derives=("extended_in",),
                          roles=SUPERVISOR_ROLES, confirm=f"延期后，“{label}”状态下的期限改为延期至的日期。"))
    return tuple(out)


def supervision(kind: RecordKind, open_states: Iterable[str]) -> RecordKind:
    """`kind` with the 督办 fields and the 催办/延期 actions for `open_states` (the states that
    carry a deadline)."""
    wf = kind.workflow
    assert wf is not None, kind.key
    states = tuple(open_states)
    base_derive, base_deadlines = kind.derive, kind.deadlines

    def derive(action: str, values: Mapping[str, Any], cal: Any) -> dict[str, Any]:
        if action.startswith(f"{EXTEND}_"):
            return {"extended_in": action.removeprefix(f"{EXTEND}_")}
        return base_derive(action, values, cal)

    def deadlines(status: str, values: Mapping[str, Any], cal: Any) -> list[Deadline]:
        return apply_extension(status, values, base_deadlines(status, values, cal))

    workflow = dataclasses.replace(wf, actions=(*wf.actions, *_actions(wf, states)))
    workflow.check()
    return dataclasses.replace(kind, fields=(*kind.fields, *_FIELDS), workflow=workflow,
                               derive=derive, deadlines=deadlines, _index={})


def apply_extension(status: str, values: Mapping[str, Any],
                    deadlines: list[Deadline]) -> list[Deadline]:
    """While the record is in the state it was extended in, its nearest deadline is the
    extension's date."""
    extended_to = values.get("extended_to")
    if not deadlines or not extended_to or values.get("extended_in") != status:
        return deadlines
    first = min(deadlines, key=lambda d: d.due)
    moved = Deadline(f"{first.label}（已延期）", extended_to, first.working_days)
    return [moved if d is first else d for d in deadlines]
