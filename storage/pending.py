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

The conversation row a turn holds changes with every line (its next sequence number, its
MAC, the dialog state): those changes are set on the held object as if loaded (no ORM
history, so no flush of its own) and go in as one UPDATE with the rows, before any query or
flush of the transaction, so a later change through the ORM lands after them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Final, cast

from sqlalchemy import Connection, Insert, Table, bindparam, event, insert, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.held import HeldConversation, NeedsFullUnit, NewLine, NewReply
from storage.models import Conversation, Message, OutboxItem
from storage.statement_batch import Batch, Statement, Values

KEY: Final = "anlaufstelle_pending_rows"

_MESSAGES: Final = cast(Table, Message.__table__)
_OUTBOX: Final = cast(Table, OutboxItem.__table__)


def _insert(table: Table) -> Insert:
    """Every column but the generated id, each a bound parameter of its own name."""
    return insert(table).values(
        {c.key: bindparam(c.key) for c in table.columns if not c.primary_key}
    )


_LINES: Final = Statement(_insert(_MESSAGES))
_REPLY: Final = Statement(_insert(_OUTBOX))
_REPLY_WITH_ID: Final = Statement(_insert(_OUTBOX).returning(_OUTBOX.c.id))
_CONVERSATIONS: Final = cast(Table, Conversation.__table__)
_CONVERSATION_UPDATES: dict[frozenset[str], Statement] = {}
"""One prepared UPDATE per set of changed columns (a turn changes one of very few sets)."""


def _conversation_update(columns: frozenset[str]) -> Statement:
    statement = _CONVERSATION_UPDATES.get(columns)
    if statement is None:
        statement = _CONVERSATION_UPDATES[columns] = Statement(
            update(_CONVERSATIONS)
            .where(_CONVERSATIONS.c.id == bindparam("row_id"))
            .values({name: bindparam(name) for name in sorted(columns)})
        )
    return statement


def _columns(table: Table) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """A table's columns but the generated id, and a getter of their values from the plain
    object that stands for a new row (its attributes are named as the columns)."""
    names = tuple(c.key for c in table.columns if not c.primary_key)
    return names, attrgetter(*names)


_LINE_COLUMNS: Final = _columns(_MESSAGES)
_REPLY_COLUMNS: Final = _columns(_OUTBOX)


def _values(columns: tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]], row: Any) -> Values:
    names, get = columns
    return dict(zip(names, get(row), strict=True))


@dataclass
class PendingRows:
    lines: list[NewLine] = field(default_factory=list)
    replies: list[tuple[NewReply, bool]] = field(default_factory=list)
    """In the order they were queued (delivery order is by id); True: the id is wanted."""
    conversations: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Conversation id -> the columns changed on the held row, with their new values."""
    stamped: set[int] = field(default_factory=set)
    """Conversations whose row MAC the unit wrote (storage/conversations.py `append`): the
    row is the unit's own from then on, its MAC need not be checked again."""

    def __bool__(self) -> bool:
        return bool(self.lines or self.replies or self.conversations)

    def change(self, row: Conversation | HeldConversation, **values: Any) -> None:
        """Change the held conversation row (the session's, or a light unit's: storage/
        light.py); written with the other waiting rows."""
        if isinstance(row, Conversation):
            for name, value in values.items():
                set_committed_value(row, name, value)
        else:
            for name, value in values.items():
                if name not in HeldConversation.__slots__:
                    raise NeedsFullUnit  # a column the light unit did not read
                setattr(row, name, value)
        self.conversations.setdefault(row.id, {}).update(values)

    def write(self, connection: Connection) -> None:
        """Insert what waits (synchronous: inside SQLAlchemy's greenlet): plain statements on
        the transaction's connection, in one trip to SQLite's thread (storage/
        statement_batch.py); they need none of the ORM's statement handling."""
        lines, self.lines = self.lines, []
        replies, self.replies = self.replies, []
        changed, self.conversations = self.conversations, {}
        if not lines and not replies and not changed:
            return
        batch = Batch()
        for row_id, values in changed.items():
            batch.add(_conversation_update(frozenset(values)), {"row_id": row_id, **values})
        batch.add_many(_LINES, [_values(_LINE_COLUMNS, row) for row in lines])
        wanting: list[NewReply] = []
        if any(wanted for _, wanted in replies):
            for row, wanted in replies:
                batch.add(_REPLY_WITH_ID if wanted else _REPLY, _values(_REPLY_COLUMNS, row))
                if wanted:
                    wanting.append(row)
        else:
            batch.add_many(_REPLY, [_values(_REPLY_COLUMNS, row) for row, _ in replies])
        for row, new_id in zip(wanting, batch.run(connection), strict=True):
            row.id = new_id


@event.listens_for(Session, "do_orm_execute")
def _write_before_a_query(state: ORMExecuteState) -> None:
    session = state.session
    rows: PendingRows | None = session.info.get(KEY)
    if rows and session.autoflush:
        rows.write(session.connection())


@event.listens_for(Session, "before_flush")
def _write_before_a_flush(session: Session, *_: Any) -> None:
    rows: PendingRows | None = session.info.get(KEY)
    if rows:
        rows.write(session.connection())
