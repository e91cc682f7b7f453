"""Several prepared statements in one trip to SQLite's connection thread.

A message's writes (the conversation row's UPDATE, its transcript lines, its replies) went
out as one SQLAlchemy execution each: statement handling, a greenlet switch and a hop to
aiosqlite's thread per statement, all while the process's one writer is held. Here they are
compiled once per dialect into plain SQL with their parameters' type processing, and run
one after the other in a single call on the connection's thread, inside the transaction the
session already holds. Anything other than the one-hop SQLite driver
(storage/sqlite_driver.py) runs them through SQLAlchemy as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy import Connection, Select, TextClause
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert, UpdateBase
from sqlalchemy.types import LargeBinary, TypeEngine

from storage import sqlite_driver
from storage.models import UTCDateTime, utc_sqlite_text

Values = Mapping[str, Any]
_ROWS_PER_INSERT = 50


@dataclass(frozen=True)
class _Prepared:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    returns: bool
    columns: tuple[str, ...] = ()
    """A query's result columns, by their labels (empty for other statements)."""
    results: tuple[Callable[[Any], Any] | None, ...] = ()
    fixed: Values = field(default_factory=dict)
    """Values the statement itself binds (a query's `owner != 'closed'`)."""
    _rows: dict[int, str] = field(default_factory=dict, compare=False)

    _processing: tuple[tuple[int, Callable[[Any], Any]], ...] = field(default=(), compare=False)
    """The positions whose values need type processing, with their processors."""

    def __post_init__(self) -> None:
        processing = tuple((i, p) for i, p in enumerate(self.processors) if p is not None)
        object.__setattr__(self, "_processing", processing)

    def parameters(self, values: Values) -> list[Any]:
        given = {**self.fixed, **values} if self.fixed else values
        out = [given[n] for n in self.names]
        for i, process in self._processing:
            out[i] = process(out[i])
        return out

    def row(self, raw: Sequence[Any] | None) -> dict[str, Any] | None:
        """A query's row from the driver, its values as SQLAlchemy would give them."""
        if raw is None:
            return None
        return {
            name: value if process is None else process(value)
            for name, value, process in zip(self.columns, raw, self.results, strict=True)
        }

    def rows(self, count: int) -> str:
        """This INSERT for `count` rows in one statement (`VALUES (…), (…)`)."""
        sql = self._rows.get(count)
        if sql is None:
            head, group = self.sql.rsplit(" VALUES ", 1)
            sql = self._rows[count] = f"{head} VALUES {', '.join([group] * count)}"
        return sql


@dataclass
class Statement:
    """A Core statement (INSERT, UPDATE, or a plain-text query that answers one value) with
    named bound parameters, prepared per dialect."""

    statement: UpdateBase | TextClause | Select[Any]
    _prepared: dict[str, _Prepared] = field(default_factory=dict)

    def prepared(self, dialect: Dialect) -> _Prepared:
        # By dialect name: the service's engines of one kind are configured alike
        # (storage/db.py), so their SQL and type processing are the same.
        found = self._prepared.get(dialect.name)
        if found is None:
            compiled: Any = self.statement.compile(dialect=dialect)
            names = tuple(compiled.positiontup or ())
            processors = tuple(
                _bind_processor(compiled.binds[name].type, dialect) for name in names
            )
            returns = not isinstance(self.statement, UpdateBase) or bool(
                compiled.effective_returning
            )
            columns: tuple[str, ...] = ()
            results: tuple[Callable[[Any], Any] | None, ...] = ()
            if isinstance(self.statement, Select):
                selected = list(self.statement.selected_columns)
                columns = tuple(str(c.key) for c in selected)
                results = tuple(
                    c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected
                )
            # Values the statement binds itself (a query's `owner != 'closed'`, a signal's
            # channel name).
            fixed = {n: compiled.binds[n].value for n in names if not compiled.binds[n].required}
            found = self._prepared[dialect.name] = _Prepared(
                compiled.string, names, processors, returns, columns, results, fixed
            )
        return found


@dataclass
class Batch:
    """Statements to run in order; `run` returns, per statement that returns rows, its first
    row's first column, or for a query added with `add_row` its first row as a dict by
    column label (None without a row; in the order of those statements)."""

    steps: list[tuple[Statement, Sequence[Values], _Kind]] = field(default_factory=list)

    def add(self, statement: Statement, values: Values) -> None:
        self.steps.append((statement, [values], "one"))

    def add_row(self, statement: Statement, values: Values) -> None:
        """A query whose first row is wanted whole."""
        assert isinstance(statement.statement, Select)
        self.steps.append((statement, [values], "row"))

    def add_many(self, statement: Statement, rows: Sequence[Values]) -> None:
        """Rows for an INSERT without RETURNING (they go in as one multi-row INSERT)."""
        assert isinstance(statement.statement, Insert) and not statement.statement._returning
        if rows:
            self.steps.append((statement, rows, "many"))

    def run(self, conn: Connection) -> list[Any]:
        """Synchronous: inside SQLAlchemy's greenlet (as in a `run_sync` or a session event),
        or called directly when its statements run in place (`run_sync` below)."""
        raw = conn.connection.dbapi_connection
        if isinstance(raw, sqlite_driver.BatchConnection):
            dialect = conn.dialect
            work = []
            answers: list[Callable[[Any], Any]] = []
            for statement, rows, kind in self.steps:
                prepared = statement.prepared(dialect)
                if kind != "many":
                    work.append((prepared.sql, prepared.parameters(rows[0])))
                    if kind == "row":
                        answers.append(prepared.row)
                    elif prepared.returns:
                        answers.append(_first_column)
                    continue
                # A turn's few rows of a table as one INSERT (SQLite steps an executemany
                # once per row); far within SQLite's limit of bound parameters.
                for start in range(0, len(rows), _ROWS_PER_INSERT):
                    chunk = rows[start : start + _ROWS_PER_INSERT]
                    flat = [p for r in chunk for p in prepared.parameters(r)]
                    work.append((prepared.rows(len(chunk)), flat))
            return [
                answer(raw_row)
                for answer, raw_row in zip(answers, raw.run_batch(work), strict=True)
            ]
        returned = []
        for statement, rows, kind in self.steps:
            result = conn.execute(statement.statement, list(rows) if kind == "many" else rows[0])
            if kind == "row":
                found = result.first()
                returned.append(None if found is None else dict(found._mapping))
            elif kind == "one" and statement.prepared(conn.dialect).returns:
                returned.append(result.scalar())  # None without a row, as on SQLite
        return returned


_Kind = Literal["one", "row", "many"]

T = TypeVar("T")


async def run_sync(conn: AsyncConnection, work: Callable[[Connection], T]) -> T:
    """`work` (synchronous, running statements such as `Batch.run`) on `conn`: called
    directly when the statements run in place on SQLite (`sqlite_driver.
    in_place_connection`), else in SQLAlchemy's greenlet as `AsyncConnection.run_sync`
    does. Two of those greenlets per message were a noticeable share of its CPU."""
    sync = sqlite_driver.in_place_connection(conn)
    if sync is not None:
        return work(sync)
    return await conn.run_sync(work)


def _bind_processor(kind: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if dialect.name == "sqlite":
        if isinstance(kind, UTCDateTime):
            return utc_sqlite_text  # the same text as SQLAlchemy's two steps, in one
        if isinstance(kind, LargeBinary):
            # SQLAlchemy wraps bytes in a memoryview for sqlite3, which binds bytes as the
            # same BLOB: a copy per sealed value for nothing. Its refusal of text stays.
            return _bytes_only
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _bytes_only(value: Any) -> Any:
    """A binary column's value as it is, if bytes (or None); anything else refused as
    SQLAlchemy's memoryview would, not stored as text or a number that fails only when read."""
    if value is None or type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"a binary column takes bytes, not {type(value).__name__}")


def _first_column(row: Sequence[Any] | None) -> Any:
    return None if row is None else row[0]
