"""Keyboard shortcuts of the record commands, derived from the declarations: a kind's workflow
actions get Alt+1 … Alt+9, Alt+0 in the order the workflow declares them (so 受理 has the same
key on every mediation record, whatever else is possible at the moment); handovers follow the
order of `records/links.py` (F6, F7); the rest are fixed. Buttons show their key in the text
and the tooltip."""

from __future__ import annotations

from xingan_desk.records import links
from xingan_desk.records.kinds import KINDS

EDIT = "F2"
RATE = "F8"
PRINT = "Ctrl+P"
PREVIEW = "Ctrl+Shift+P"
DOCUMENTS = "Ctrl+D"
_ACTION_KEYS = tuple(f"Alt+{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0))
_HANDOVER_KEYS = ("F6", "F7")


def action_keys(kind_key: str) -> dict[str, str]:
    """{action key: shortcut} for the kind's workflow actions, in declaration order."""
    wf = KINDS[kind_key].workflow
    if wf is None:
        return {}
    offered = [a for a in wf.actions if not a.superseded_by]
    return {a.key: k for a, k in zip(offered, _ACTION_KEYS, strict=False)}


def handover_keys(kind_key: str) -> dict[str, str]:
    """{target kind: shortcut} for the handovers the kind declares."""
    return dict(zip(links.handover_targets(kind_key), _HANDOVER_KEYS, strict=False))


def with_key(text: str, keys: str | None) -> str:
    return f"{text}（{keys}）" if keys else text
