"""outbox delivery id: random and unique forever, instead of the reusable row id

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_id", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    outbox = sa.table("outbox", sa.column("id", sa.Integer), sa.column("delivery_id", sa.String))
    # Rows waiting now get a fresh random id too. Keeping their row id would keep the flaw
    # (a receiver may have seen that id on an earlier reply and drop this one); a fresh id at
    # worst shows a reply twice whose acceptance was not recorded, and never loses one.
    for (row_id,) in conn.execute(sa.select(outbox.c.id)).all():
        conn.execute(
            outbox.update().where(outbox.c.id == row_id).values(delivery_id=secrets.token_hex(16))
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("delivery_id", existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("delivery_id")
