"""Dashboard jobs shared by every worker

Revision ID: 0003_ui_jobs
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_ui_jobs"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.String(300), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("elapsed_s", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_jobs")),
    )
    op.create_index("ix_ui_jobs_owner_started", "ui_jobs", ["owner", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_ui_jobs_owner_started", table_name="ui_jobs")
    op.drop_table("ui_jobs")
