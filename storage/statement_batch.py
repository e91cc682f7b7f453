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
from typing import Any

from sqlalchemy import Connection, TextClause
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert, UpdateBase

from storage import sqlite_driver

Values = Mapping[str, Any]
_ROWS_PER_INSERT = 50


@dataclass(frozen=True)
class _Prepared:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    returns: bool
    _rows: dict[int, str] = field(default_factory=dict, compare=False)

    def parameters(self, values: Values) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip((values[n] for n in self.names), self.processors, strict=True)
        )

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

    statement: UpdateBase | TextClause
    _prepared: dict[str, _Prepared] = field(default_factory=dict)

    def prepared(self, dialect: Dialect) -> _Prepared:
        # By dialect name: the service's engines of one kind are configured alike
        # (storage/db.py), so their SQL and type processing are the same.
        found = self._prepared.get(dialect.name)
        if found is None:
            compiled: Any = self.statement.compile(dialect=dialect)
            names = tuple(compiled.positiontup or ())
            processors = tuple(
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                for name in names
            )
            returns = not isinstance(self.statement, UpdateBase) or bool(
                compiled.effective_returning
            )
            found = self._prepared[dialect.name] = _Prepared(
                compiled.string, names, processors, returns
            )
        return found


@dataclass
class Batch:
    """Statements to run in order; `run` returns, per statement that has RETURNING, its
    first row's first column (in the order of those statements)."""

    steps: list[tuple[Statement, Sequence[Values], bool]] = field(default_factory=list)

    def add(self, statement: Statement, values: Values) -> None:
        self.steps.append((statement, [values], False))

    def add_many(self, statement: Statement, rows: Sequence[Values]) -> None:
        """Rows for an INSERT without RETURNING (they go in as one multi-row INSERT)."""
        assert isinstance(statement.statement, Insert) and not statement.statement._returning
        if rows:
            self.steps.append((statement, rows, True))

    def run(self, conn: Connection) -> list[Any]:
        """Synchronous, inside SQLAlchemy's greenlet (as in a `run_sync` or a session event)."""
        raw = conn.connection.dbapi_connection
        if isinstance(raw, sqlite_driver.BatchConnection):
            dialect = conn.dialect
            work = []
            for statement, rows, many in self.steps:
                prepared = statement.prepared(dialect)
                if not many:
                    work.append((prepared.sql, prepared.parameters(rows[0])))
                    continue
                # A turn's few rows of a table as one INSERT (SQLite steps an executemany
                # once per row); far within SQLite's limit of bound parameters.
                for start in range(0, len(rows), _ROWS_PER_INSERT):
                    chunk = rows[start : start + _ROWS_PER_INSERT]
                    flat = [p for r in chunk for p in prepared.parameters(r)]
                    work.append((prepared.rows(len(chunk)), flat))
            return raw.run_batch(work)
        returned = []
        for statement, rows, many in self.steps:
            result = conn.execute(statement.statement, list(rows) if many else rows[0])
            if not many and statement.prepared(conn.dialect).returns:
                returned.append(result.scalar())  # None without a row, as on SQLite
        return returned
