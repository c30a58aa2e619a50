"""Viability flag on launches; OVERDUE as an invoice payment status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "ck_invoices_payment_status_valid"


def upgrade() -> None:
    # Launches of the previous release have never been checked: the first daily run flags them.
    op.add_column(
        "launches",
        sa.Column("viability_flagged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.drop_constraint(CONSTRAINT, "invoices", type_="check")
    op.create_check_constraint(
        CONSTRAINT, "invoices", "payment_status IN ('UNPAID', 'PAID', 'OVERDUE')"
    )


def downgrade() -> None:
    op.execute("UPDATE invoices SET payment_status = 'UNPAID' WHERE payment_status = 'OVERDUE'")
    op.drop_constraint(CONSTRAINT, "invoices", type_="check")
    op.create_check_constraint(CONSTRAINT, "invoices", "payment_status IN ('UNPAID', 'PAID')")
    op.drop_column("launches", "viability_flagged_at")
