"""Transcript lines and replies a transaction writes as plain inserts, not through the ORM.

Every message adds two or three such rows (the person's line, the bot's line, the reply in
the outbox) and nothing in the transaction changes them afterwards, so the ORM's unit of
work (tracking, flush planning, fetching each new id) is pure cost for them; it made a
large share of a message's CPU time. They wait here and go in as one INSERT per table
(several lines in one statement), either when the transaction commits (`Store.tx`) or
first thing before any query of the transaction that could read them, exactly where the
ORM's autoflush would have written them (so a query inside `no_autoflush` does not see
them either).

Only a reply that is pushed at once needs its new id (storage/outbox.py `pushed`): it is
inserted on its own with RETURNING, in its place in the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, cast

from sqlalchemy import Table, event, insert
from sqlalchemy.orm import ORMExecuteState, Session

from storage.models import Message, OutboxItem

KEY: Final = "anlaufstelle_pending_rows"

_MESSAGES: Final = cast(Table, Message.__table__)
_OUTBOX: Final = cast(Table, OutboxItem.__table__)
_LINES: Final = insert(_MESSAGES)
_REPLY: Final = insert(_OUTBOX)
_REPLY_WITH_ID: Final = _REPLY.returning(_OUTBOX.c.id)


def _line_values(row: Message) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "seq": row.seq,
        "sender": row.sender,
        "sealed": row.sealed,
        "body_ct": row.body_ct,
        "created_at": row.created_at,
        "mac": row.mac,
    }


def _reply_values(row: OutboxItem) -> dict[str, Any]:
    return {
        "contact_id": row.contact_id,
        "delivery_id": row.delivery_id,
        "payload_ct": row.payload_ct,
        "created_at": row.created_at,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "lease_until": row.lease_until,
        "last_error": None,
    }


@dataclass
class PendingRows:
    lines: list[Message] = field(default_factory=list)
    replies: list[tuple[OutboxItem, bool]] = field(default_factory=list)
    """In the order they were queued (delivery order is by id); True: the id is wanted."""

    def write(self, session: Session) -> None:
        """Insert what waits (synchronous: inside SQLAlchemy's greenlet)."""
        lines, self.lines = self.lines, []
        replies, self.replies = self.replies, []
        if lines:
            session.execute(_LINES, [_line_values(row) for row in lines])
        if not replies:
            return
        if not any(wanted for _, wanted in replies):
            session.execute(_REPLY, [_reply_values(row) for row, _ in replies])
            return
        for row, wanted in replies:
            if wanted:
                row.id = session.execute(_REPLY_WITH_ID, _reply_values(row)).scalar_one()
            else:
                session.execute(_REPLY, _reply_values(row))


def pending_rows(session_info: dict[Any, Any]) -> PendingRows:
    """The transaction's waiting rows (kept in its session's `info`)."""
    rows: PendingRows | None = session_info.get(KEY)
    if rows is None:
        rows = session_info[KEY] = PendingRows()
    return rows


@event.listens_for(Session, "do_orm_execute")
def _write_before_a_query(state: ORMExecuteState) -> None:
    session = state.session
    rows: PendingRows | None = session.info.get(KEY)
    if rows is not None and (rows.lines or rows.replies) and session.autoflush:
        rows.write(session)
