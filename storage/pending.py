"""Transcript lines and replies a transaction writes as plain inserts, not through the ORM.

Every message adds two or three such rows (the person's line, the bot's line, the reply in
the outbox) and nothing in the transaction changes them afterwards, so the ORM's unit of
work (tracking, flush planning, fetching each new id) is pure cost for them; it made a
large share of a message's CPU time. They wait here and go in as one INSERT per table
(several lines in one statement), either when the transaction commits (`Store.tx`) or
first thing before any query of the transaction that could read them, exactly where the
ORM's autoflush would have written them (so a query inside `no_autoflush` does not see
them either).

Only a reply that is pushed at once needs its new id (storage/outbox.py `pushed`): on SQLite
it is inserted on its own with RETURNING, in its place in the order; on PostgreSQL all the
waiting rows are one statement (`_write_as_one_statement`).

The conversation row a turn holds changes with every line (its next sequence number, its
MAC, the dialog state): those changes are set on the held object as if loaded (no ORM
history, so no flush of its own) and go in as one UPDATE with the rows, before any query or
flush of the transaction, so a later change through the ORM lands after them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Final, cast

from sqlalchemy import (
    ARRAY,
    CTE,
    ColumnElement,
    Connection,
    Insert,
    Integer,
    Select,
    Table,
    Text,
    all_,
    bindparam,
    case,
    event,
    exists,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.held import HeldConversation, NeedsFullUnit, NewLine, NewReply
from storage.models import Conversation, Message, OutboxItem
from storage.pg_direct import DirectConnection
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
    stamped: dict[int, Conversation | HeldConversation] = field(default_factory=dict)
    """The conversation rows whose MAC the unit wrote (storage/conversations.py `append`):
    that object is the unit's own from then on, its MAC need not be checked again (a row
    read anew is checked as usual)."""
    lease_unless_waiting: WaitingCheck | None = None
    """A light unit on PostgreSQL: the replies queued to be pushed at once are leased only
    if no earlier reply to the contact waits in the outbox, asked by the write itself
    (`write_direct`) instead of by a statement of its own (storage/outbox.py `enqueue`)."""

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

    def _take(
        self,
    ) -> tuple[dict[int, dict[str, Any]], list[NewLine], list[tuple[NewReply, bool]]]:
        changed, self.conversations = self.conversations, {}
        lines, self.lines = self.lines, []
        replies, self.replies = self.replies, []
        return changed, lines, replies

    async def write_direct(self, connection: DirectConnection) -> bool:
        """`write` for a light unit on PostgreSQL: the one statement on asyncpg. True: an
        earlier reply waits (`lease_unless_waiting`), so the replies meant to be pushed at
        once were written unleased, for the delivery worker's rounds."""
        unless, self.lease_unless_waiting = self.lease_unless_waiting, None
        changed, lines, replies = self._take()
        if not (changed or lines or replies):
            return False
        sql, parameters = _one_statement_call(connection.dialect, changed, lines, replies, unless)
        return _take_ids(replies, await connection.fetch(sql, parameters))

    def write(self, connection: Connection) -> None:
        """Insert what waits (synchronous: inside SQLAlchemy's greenlet): plain statements on
        the transaction's connection, in one trip to SQLite's thread (storage/
        statement_batch.py); they need none of the ORM's statement handling."""
        changed, lines, replies = self._take()
        if not lines and not replies and not changed:
            return
        if connection.dialect.name == "postgresql":
            _write_as_one_statement(connection, changed, lines, replies)
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


@dataclass(frozen=True)
class WaitingCheck:
    """Whom to ask the outbox about, and the ids pushed before and sent that do not count
    (storage/records.py `DirectPush.sent`)."""

    contact_id: int
    sent: list[int]


_Shape = tuple[tuple[tuple[str, ...], ...], int, tuple[bool, ...], bool]
"""The conversations' changed columns, the number of lines, which replies want their id,
whether their lease depends on the outbox (`PendingRows.lease_unless_waiting`)."""


def _write_as_one_statement(
    connection: Connection,
    changed: dict[int, dict[str, Any]],
    lines: list[NewLine],
    replies: list[tuple[NewReply, bool]],
) -> None:
    """PostgreSQL: the waiting rows as one statement (`_one_statement_call`), on a session's
    connection."""
    sql, parameters = _one_statement_call(connection.dialect, changed, lines, replies)
    _take_ids(replies, connection.exec_driver_sql(sql, parameters).all())


def _one_statement_call(
    dialect: Dialect,
    changed: dict[int, dict[str, Any]],
    lines: list[NewLine],
    replies: list[tuple[NewReply, bool]],
    unless: WaitingCheck | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL: the waiting rows as one statement, its writes as data-modifying CTEs
    (`WITH c0 AS (UPDATE …), l AS (INSERT …), r AS (INSERT … RETURNING id) SELECT …`).
    Each statement is a round trip to the server, with its share of the driver's and
    SQLAlchemy's work; one instead of three per message. The parts see one snapshot and run
    in no promised order, which is fine as each writes its own table; the replies, whose
    ids are their delivery order, go in as one INSERT in their order. With `unless`, the
    replies that want their id are leased only if no earlier reply to the contact waits:
    the statement's snapshot is taken after the unit locked the conversation, so it sees
    what any unit that held the lock before committed, as a query of its own would."""
    updates = [(row_id, sorted(values)) for row_id, values in changed.items()]
    conditional = unless is not None and any(wanted for _, wanted in replies)
    shape: _Shape = (
        tuple(tuple(columns) for _, columns in updates),
        len(lines),
        tuple(wanted for _, wanted in replies),
        conditional,
    )
    values: dict[str, Any] = {}
    if conditional:
        assert unless is not None
        values["w_contact_id"] = unless.contact_id
        values["w_sent"] = [str(outbox_id) for outbox_id in unless.sent]
    for i, (row_id, columns) in enumerate(updates):
        values[f"c{i}_row_id"] = row_id
        values.update((f"c{i}_{name}", changed[row_id][name]) for name in columns)
    for j, line in enumerate(lines):
        values.update(_prefixed(f"l{j}", _values(_LINE_COLUMNS, line)))
    for k, (reply, _) in enumerate(replies):
        values.update(_prefixed(f"r{k}", _values(_REPLY_COLUMNS, reply)))
    # Prepared once per shape and sent as plain SQL: SQLAlchemy gives a statement with a
    # multi-row VALUES no cache key, so through `execute` it compiled it for every message.
    prepared = _one_statement(shape).prepared(dialect)
    return prepared.sql, tuple(prepared.parameters(values))


def _take_ids(replies: list[tuple[NewReply, bool]], found: Sequence[Any]) -> bool:
    """The ids of the replies that want theirs, from the rows `_one_statement` answered;
    True if they were written unleased (an earlier reply waits: `WaitingCheck`)."""
    if not any(wanted for _, wanted in replies):
        return False
    by_delivery = {row[1]: row for row in found}
    held_back = False
    for reply, wanted in replies:
        if wanted:
            row = by_delivery[reply.delivery_id]
            reply.id = row[0]
            if len(row) > 2 and not row[2]:  # not leased
                held_back = True
                reply.lease_until, reply.attempts = None, 0
    return held_back


@functools.lru_cache(maxsize=256)
def _one_statement(shape: _Shape) -> Statement:
    return Statement(_one_select(shape))


def _one_select(shape: _Shape) -> Select[Any]:
    """The statement of one shape of waiting rows, built and compiled once per shape
    (`_one_statement`); the driver prepares its SQL like any other."""
    updates, line_count, wanted, conditional = shape
    ctes: list[CTE] = []
    for i, columns in enumerate(updates):
        ctes.append(
            update(_CONVERSATIONS)
            .where(_CONVERSATIONS.c.id == bindparam(f"c{i}_row_id"))
            .values(_bound(f"c{i}", _CONVERSATIONS, columns))
            .cte(f"c{i}")
        )
    if line_count:
        ctes.append(
            insert(_MESSAGES)
            .values([_bound(f"l{j}", _MESSAGES, _LINE_COLUMNS[0]) for j in range(line_count)])
            .cte("l")
        )
    # Data-modifying CTEs run to completion whether the main query reads them or not.
    if not wanted:
        return select(literal(1)).add_cte(*ctes)
    # All replies in one INSERT, in their order: their ids (the delivery order) follow it.
    rows = [_bound(f"r{k}", _OUTBOX, _REPLY_COLUMNS[0]) for k in range(len(wanted))]
    if conditional:
        # Asked once, in a CTE, on the statement's snapshot: the replies it inserts are not
        # among what it finds.
        waiting = select(
            exists()
            .where(
                _OUTBOX.c.contact_id == bindparam("w_contact_id", type_=Integer),
                # Sent as text[]: asyncpg has a codec of its own for that, while an
                # integer[] parameter makes it look the type up on every new connection.
                _OUTBOX.c.id
                != all_(sql_cast(bindparam("w_sent", type_=ARRAY(Text)), ARRAY(Integer))),
            )
            .label("waiting")
        ).cte("w")
        ctes.append(waiting)
        earlier = select(waiting.c.waiting).scalar_subquery()
        for row, leased in zip(rows, wanted, strict=True):
            if leased:
                row["lease_until"] = case((earlier, null()), else_=row["lease_until"])
                row["attempts"] = case((earlier, 0), else_=row["attempts"])
    replies = insert(_OUTBOX).values(rows)
    if not any(wanted):
        return select(literal(1)).add_cte(*ctes, replies.cte("r"))
    returned: list[ColumnElement[Any]] = [_OUTBOX.c.id, _OUTBOX.c.delivery_id]
    if conditional:
        returned.append(_OUTBOX.c.lease_until.is_not(None).label("leased"))
    inserted = replies.returning(*returned).cte("r")
    return select(*inserted.c).add_cte(*ctes, inserted)


def _prefixed(prefix: str, values: Values) -> Iterator[tuple[str, Any]]:
    return ((f"{prefix}_{name}", value) for name, value in values.items())


def _bound(prefix: str, table: Table, names: Iterable[str]) -> dict[str, ColumnElement[Any]]:
    """Parameters for `names` of `table`, typed as its columns (a time's UTC handling)."""
    return {name: bindparam(f"{prefix}_{name}", type_=table.c[name].type) for name in names}


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
