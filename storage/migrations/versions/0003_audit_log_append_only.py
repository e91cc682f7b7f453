"""audit log append-only: the database itself refuses UPDATE and DELETE on audit_log

Revision ID: 0003
Revises: 0002

The application has no update or delete API for the audit log, but a bug, a hand-typed
statement or a future feature could still change history. Triggers make the database refuse
it, whoever asks, until a migration removes them. This guards against mistakes and against
someone who only reaches the application's SQL; a database superuser can still disable
triggers, which only a log shipped off the host would reveal.

Warning for later migrations: on SQLite, `batch_alter_table("audit_log")` rebuilds the table
and the triggers vanish with the old one; such a migration must create them again
(`create_triggers()` below).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only"

SQLITE_UP = [
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
    "DROP TRIGGER IF EXISTS audit_log_no_update",
]

POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
        END
        $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    # TRUNCATE fires no row triggers; it needs a statement trigger of its own.
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
]


def create_triggers() -> None:
    for statement in SQLITE_UP if _is_sqlite() else POSTGRES_UP:
        op.execute(statement)


def upgrade() -> None:
    create_triggers()


def downgrade() -> None:
    for statement in SQLITE_DOWN if _is_sqlite() else POSTGRES_DOWN:
        op.execute(statement)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
