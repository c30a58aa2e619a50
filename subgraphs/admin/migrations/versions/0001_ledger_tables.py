"""Ledger tables: suppliers, spaceports, rockets, launches, status history, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "('SCHEDULED', 'CONFIRMED', 'DELAYED', 'SUCCESSFUL', 'FAILED', 'ABORTED')"
RANGES = "('SUBORBITAL', 'LEO', 'INTERPLANETARY')"


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("tax_id", sa.Text(), nullable=False),
        sa.Column("legal_address", sa.Text(), nullable=False),
        sa.Column("contact_email", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_suppliers"),
        sa.UniqueConstraint("user_id", name="uq_suppliers_user_id"),
    )
    op.create_table(
        "spaceports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spaceports"),
        sa.UniqueConstraint("code", name="uq_spaceports_code"),
    )
    op.create_table(
        "rockets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("range", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rockets"),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_rockets_supplier_id_suppliers"
        ),
        sa.CheckConstraint("capacity > 0", name="ck_rockets_capacity_positive"),
        sa.CheckConstraint(f"range IN {RANGES}", name="ck_rockets_range_valid"),
    )
    op.create_index("ix_rockets_supplier_id", "rockets", ["supplier_id"])
    op.create_table(
        "launches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("rocket_id", sa.Uuid(), nullable=False),
        sa.Column("spaceport_id", sa.Uuid(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("launch_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original_launch_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_per_seat", sa.Numeric(12, 2), nullable=False),
        sa.Column("total_seats", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_launches"),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_launches_supplier_id_suppliers"
        ),
        sa.ForeignKeyConstraint(["rocket_id"], ["rockets.id"], name="fk_launches_rocket_id_rockets"),
        sa.ForeignKeyConstraint(
            ["spaceport_id"], ["spaceports.id"], name="fk_launches_spaceport_id_spaceports"
        ),
        sa.UniqueConstraint("slug", name="uq_launches_slug"),
        sa.CheckConstraint("price_per_seat > 0", name="ck_launches_price_positive"),
        sa.CheckConstraint("total_seats > 0", name="ck_launches_total_seats_positive"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_launches_status_valid"),
    )
    op.create_index("ix_launches_supplier_id", "launches", ["supplier_id"])
    op.create_index("ix_launches_rocket_id", "launches", ["rocket_id"])
    op.create_index("ix_launches_spaceport_id", "launches", ["spaceport_id"])
    op.create_table(
        "launch_status_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("launch_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("by_user", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_launch_status_history"),
        sa.ForeignKeyConstraint(
            ["launch_id"], ["launches.id"], name="fk_launch_status_history_launch_id_launches"
        ),
        sa.CheckConstraint(
            f"from_status IN {STATUSES}", name="ck_launch_status_history_from_status_valid"
        ),
        sa.CheckConstraint(
            f"to_status IN {STATUSES}", name="ck_launch_status_history_to_status_valid"
        ),
    )
    op.create_index(
        "ix_launch_status_history_launch_id", "launch_status_history", ["launch_id"]
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_launch_status_history_launch_id", table_name="launch_status_history")
    op.drop_table("launch_status_history")
    op.drop_index("ix_launches_spaceport_id", table_name="launches")
    op.drop_index("ix_launches_rocket_id", table_name="launches")
    op.drop_index("ix_launches_supplier_id", table_name="launches")
    op.drop_table("launches")
    op.drop_index("ix_rockets_supplier_id", table_name="rockets")
    op.drop_table("rockets")
    op.drop_table("spaceports")
    op.drop_table("suppliers")
