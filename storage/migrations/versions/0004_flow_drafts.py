"""flow drafts: the admins' working copy of a flow, with a revision for optimistic locking

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_version_id"],
            ["flow_versions.id"],
            name=op.f("fk_flow_drafts_base_version_id_flow_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_drafts")),
        sa.UniqueConstraint("flow_id", name=op.f("uq_flow_drafts_flow_id")),
    )


def downgrade() -> None:
    op.drop_table("flow_drafts")
