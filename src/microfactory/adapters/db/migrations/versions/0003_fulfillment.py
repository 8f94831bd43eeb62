"""fulfillment: stored same-day plans and material transfers

Revision ID: 0003_fulfillment
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_fulfillment"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_plans",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("runtime_s", sa.Float(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("solution", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_plans")),
    )
    op.create_index("ix_delivery_plans_site_day", "delivery_plans", ["site_id", "day"], unique=False)
    op.create_table(
        "material_transfers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("from_site", sa.String(length=64), nullable=False),
        sa.Column("to_site", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("qty", sa.Float(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_transfers")),
    )
    op.create_index(op.f("ix_material_transfers_from_site"), "material_transfers", ["from_site"], unique=False)
    op.create_index(op.f("ix_material_transfers_to_site"), "material_transfers", ["to_site"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_material_transfers_to_site"), table_name="material_transfers")
    op.drop_index(op.f("ix_material_transfers_from_site"), table_name="material_transfers")
    op.drop_table("material_transfers")
    op.drop_index("ix_delivery_plans_site_day", table_name="delivery_plans")
    op.drop_table("delivery_plans")
