"""Unsaved forms kept as drafts (a part of the Desk: `desk.drafts`): saved every few seconds
and when the window closes or locks, offered back after a crash, discarded by the save that
completes them (in that save's transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .storage.rows import jsonable
from .storage.schema import Draft
from .timeutil import utcnow

if TYPE_CHECKING:
    from .desk import Desk

DraftRow = tuple[str, str, str | None, dict[str, Any], dt.datetime]


class Drafts:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def save(self, draft_id: str, kind: str, payload: Mapping[str, Any],
             record_id: str | None = None) -> None:
        with self._desk.writing() as w:
            row = w.session.get(Draft, draft_id)
            data = jsonable(dict(payload))
            if row is None:
                w.session.add(Draft(id=draft_id, kind=kind, record_id=record_id,
                                    username=self._desk.user.username, payload=data,
                                    updated_at=utcnow()))
            else:
                row.payload, row.updated_at = data, utcnow()

    def mine(self) -> list[DraftRow]:
        """The logged-in clerk's drafts, newest first: (id, kind, record id, payload, time)."""
        with self._desk.reading() as s:
            return [(d.id, d.kind, d.record_id, d.payload, d.updated_at) for d in s.scalars(
                select(Draft).where(Draft.username == self._desk.user.username)
                .order_by(Draft.updated_at.desc()))]

    def discard(self, draft_id: str) -> None:
        with self._desk.writing() as w:
            discard_draft(w.session, draft_id)


def discard_draft(s: Session, draft_id: str | None) -> None:
    """Drop a draft in the caller's transaction (a save that completes the form)."""
    if draft_id:
        s.execute(delete(Draft).where(Draft.id == draft_id))
