"""row MACs: a column per table whose rows carry public keys or sealed content

Revision ID: 0008
Revises: 0007

The MACs are computed at the first start after this migration (storage/integrity.py
`backfill`): a migration does not hold the server key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = (
    "teams",
    "team_keys",
    "counsellors",
    "conversations",
    "messages",
    "cases",
    "case_notes",
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("mac", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("mac")
