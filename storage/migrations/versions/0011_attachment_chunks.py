"""attachment_chunks: files people send, encrypted in pieces like their transcript line

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("body_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_attachment_chunks_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_chunks")),
        sa.UniqueConstraint(
            "conversation_id", "seq", "idx", name=op.f("uq_attachment_chunks_conversation_id")
        ),
    )
    with op.batch_alter_table("attachment_chunks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_chunks_conversation_id"), ["conversation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attachment_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_chunks_conversation_id"))
    op.drop_table("attachment_chunks")
