"""case numbers are never given twice: SQLite's cases table gets AUTOINCREMENT

Revision ID: 0012
Revises: 0011

Without AUTOINCREMENT SQLite gives a new row the highest id + 1, so after the newest case
was deleted the next case got its number again: counsellors saw a new case under a deleted
one's number, and the old case's audit entries (a "case.reopened" among them) were read as
the new one's. PostgreSQL's sequences never hand out a number twice: nothing to do there.

The table is rebuilt (SQLite cannot add AUTOINCREMENT otherwise). storage.migrate turns
foreign keys off around the migrations: with them on, dropping the old table would delete
every case's key wraps and notes (ON DELETE CASCADE) and unlink every conversation.

The counter starts at the highest case number the database still knows: that of its cases
and that of its audit log, which keeps every case number it ever recorded (even of deleted
cases; a case is recorded when it is created). A number that was already given twice before
this upgrade stays so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    # No change of its own: "always" rebuilds the table as it is, with the new option.
    with op.batch_alter_table(
        "cases", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass
    highest = conn.scalar(
        sa.text(
            "SELECT max(coalesce((SELECT max(id) FROM cases), 0),"
            " coalesce((SELECT max(case_id) FROM audit_log), 0))"
        )
    )
    # Copying the rows into the new table set the counter to their highest id (or left it
    # out when there were none); the audit log may know a higher, deleted one.
    conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'cases'"))
    conn.execute(
        sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('cases', :seq)"),
        {"seq": int(highest or 0)},
    )


def downgrade() -> None:
    """Only with foreign keys off, as storage.migrate runs the upgrade: the rebuild would
    shred every case otherwise."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "cases", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'cases'")
