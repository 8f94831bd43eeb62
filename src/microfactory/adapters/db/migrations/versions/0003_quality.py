"""quality switching events and trace event references

Revision ID: 0003_quality
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_quality"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column("from_severity", sa.String(length=16), nullable=False),
        sa.Column("to_severity", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_events")),
    )
    op.create_index("ix_quality_events_site_family", "quality_events", ["site_id", "family"])
    op.create_table(
        "trace_refs",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ref_kind", sa.String(length=8), nullable=False),
        sa.Column("ref_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", "ref_kind", "ref_id", name=op.f("pk_trace_refs")),
    )
    op.create_index("ix_trace_refs_ref", "trace_refs", ["ref_kind", "ref_id"])


def downgrade() -> None:
    op.drop_index("ix_trace_refs_ref", table_name="trace_refs")
    op.drop_table("trace_refs")
    op.drop_index("ix_quality_events_site_family", table_name="quality_events")
    op.drop_table("quality_events")
