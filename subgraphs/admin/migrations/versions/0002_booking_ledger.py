"""Booking ledger: seats sold, bookings, passengers, invoices, payments, refunds; rocket specs.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01 00:00:00
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOOKING_STATUSES = "('CONFIRMED', 'REJECTED', 'CANCELLED')"
MONEY_STATUSES = "('PENDING', 'COMPLETED', 'FAILED')"
INVOICE_KINDS = "('BOOKING', 'LAUNCH_FEE', 'ABORT_FEE', 'RECEIVED')"
INVOICE_STATUSES = "('UNPAID', 'PAID')"


def _now() -> sa.TextClause:
    return sa.text("now()")


def _money() -> sa.Numeric[Decimal]:
    return sa.Numeric(12, 2)


def upgrade() -> None:
    # Launches of the previous release have sold nothing through the ledger yet.
    op.add_column(
        "launches", sa.Column("seats_sold", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        "ck_launches_seats_sold_valid", "launches", "seats_sold >= 0 AND seats_sold <= total_seats"
    )
    op.add_column(
        "launch_status_history",
        sa.Column("launch_date", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("rockets", sa.Column("specs", sa.Text(), server_default="", nullable=False))
    op.add_column("rockets", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("launch_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("customer_email", sa.Text(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("unit_price", _money(), nullable=False),
        sa.Column("total", _money(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Text(), nullable=True),
        sa.Column("refund_percent", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.ForeignKeyConstraint(
            ["launch_id"], ["launches.id"], name="fk_bookings_launch_id_launches"
        ),
        sa.CheckConstraint("seats > 0", name="ck_bookings_seats_positive"),
        sa.CheckConstraint(f"status IN {BOOKING_STATUSES}", name="ck_bookings_status_valid"),
    )
    op.create_index("ix_bookings_launch_id", "bookings", ["launch_id"])
    op.create_index("ix_bookings_customer_id", "bookings", ["customer_id"])

    op.create_table(
        "passengers",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_passengers"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_passengers_booking_id_bookings"
        ),
    )
    op.create_index("ix_passengers_booking_id", "passengers", ["booking_id"])

    op.create_table(
        "invoice_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_invoice_counters"),
    )

    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("emitter", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("payment_status", sa.String(length=16), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("launch_id", sa.Uuid(), nullable=True),
        sa.Column("supplier_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_invoices_booking_id_bookings"
        ),
        sa.ForeignKeyConstraint(
            ["launch_id"], ["launches.id"], name="fk_invoices_launch_id_launches"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_invoices_supplier_id_suppliers"
        ),
        sa.CheckConstraint("amount >= 0", name="ck_invoices_amount_not_negative"),
        sa.CheckConstraint(f"kind IN {INVOICE_KINDS}", name="ck_invoices_kind_valid"),
        sa.CheckConstraint(
            f"payment_status IN {INVOICE_STATUSES}", name="ck_invoices_payment_status_valid"
        ),
    )
    op.create_index("ix_invoices_booking_id", "invoices", ["booking_id"])
    op.create_index("ix_invoices_launch_id", "invoices", ["launch_id"])
    op.create_index("ix_invoices_supplier_id", "invoices", ["supplier_id"])
    op.create_index(
        "uq_invoices_issued_number",
        "invoices",
        ["number"],
        unique=True,
        postgresql_where=sa.text("kind <> 'RECEIVED'"),
    )
    op.create_index(
        "uq_invoices_received_number",
        "invoices",
        ["supplier_id", "number"],
        unique=True,
        postgresql_where=sa.text("kind = 'RECEIVED'"),
    )
    op.create_index(
        "uq_invoices_launch_fee",
        "invoices",
        ["launch_id", "kind"],
        unique=True,
        postgresql_where=sa.text("kind IN ('LAUNCH_FEE', 'ABORT_FEE')"),
    )
    op.create_index(
        "uq_invoices_booking",
        "invoices",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'BOOKING'"),
    )

    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name="fk_payments_invoice_id_invoices"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_payments_booking_id_bookings"
        ),
        sa.CheckConstraint("amount >= 0", name="ck_payments_amount_not_negative"),
        sa.CheckConstraint(f"status IN {MONEY_STATUSES}", name="ck_payments_status_valid"),
    )
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])
    op.create_index("ix_payments_booking_id", "payments", ["booking_id"])

    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_refunds_booking_id_bookings"
        ),
        sa.UniqueConstraint("booking_id", name="uq_refunds_booking_id"),
        sa.CheckConstraint("amount >= 0", name="ck_refunds_amount_not_negative"),
        sa.CheckConstraint(f"status IN {MONEY_STATUSES}", name="ck_refunds_status_valid"),
    )


def downgrade() -> None:
    op.drop_table("refunds")
    op.drop_index("ix_payments_booking_id", table_name="payments")
    op.drop_index("ix_payments_invoice_id", table_name="payments")
    op.drop_table("payments")
    for index in (
        "uq_invoices_booking",
        "uq_invoices_launch_fee",
        "uq_invoices_received_number",
        "uq_invoices_issued_number",
        "ix_invoices_supplier_id",
        "ix_invoices_launch_id",
        "ix_invoices_booking_id",
    ):
        op.drop_index(index, table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_counters")
    op.drop_index("ix_passengers_booking_id", table_name="passengers")
    op.drop_table("passengers")
    op.drop_index("ix_bookings_customer_id", table_name="bookings")
    op.drop_index("ix_bookings_launch_id", table_name="bookings")
    op.drop_table("bookings")
    op.drop_column("rockets", "deleted_at")
    op.drop_column("rockets", "specs")
    op.drop_column("launch_status_history", "launch_date")
    op.drop_constraint("ck_launches_seats_sold_valid", "launches", type_="check")
    op.drop_column("launches", "seats_sold")
