"""The admin subgraph's PostgreSQL ledger: SQLAlchemy models, engine and migrations."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from astro.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Serialises concurrent `migrate()` calls (app and worker starting together).
_MIGRATION_LOCK_KEY = 0x41_53_54_52_4F_41_44  # "ASTROAD"


class LaunchStatus(enum.Enum):
    """Where a launch is in its lifecycle."""

    SCHEDULED = "SCHEDULED"
    CONFIRMED = "CONFIRMED"
    DELAYED = "DELAYED"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    ABORTED = "ABORTED"


TERMINAL_STATUSES = frozenset({LaunchStatus.SUCCESSFUL, LaunchStatus.FAILED, LaunchStatus.ABORTED})


class BookingStatus(enum.Enum):
    """Where a booking stands in the ledger."""

    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class MoneyStatus(enum.Enum):
    """The state of a payment or a refund."""

    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class InvoiceKind(enum.Enum):
    """Why an invoice exists."""

    BOOKING = "BOOKING"
    LAUNCH_FEE = "LAUNCH_FEE"
    ABORT_FEE = "ABORT_FEE"
    RECEIVED = "RECEIVED"


class InvoiceStatus(enum.Enum):
    """Whether an invoice has been paid."""

    UNPAID = "UNPAID"
    PAID = "PAID"
    OVERDUE = "OVERDUE"  # unpaid after its due date (set daily by ``jobs.mark_overdue_invoices``)


class RocketRange(enum.Enum):
    """How far a rocket can fly."""

    SUBORBITAL = "SUBORBITAL"
    LEO = "LEO"
    INTERPLANETARY = "INTERPLANETARY"


def _text_enum(enum_type: type[enum.Enum]) -> sa.Enum:
    # Stored as text (the CHECK constraint lives in the migration): adding a value later is a
    # one-line constraint change instead of an ALTER TYPE.
    return sa.Enum(enum_type, native_enum=False, length=16, validate_strings=True)


def _in_enum(column: str, enum_type: type[enum.Enum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum_type)
    return f"{column} IN ({values})"


class Base(DeclarativeBase):
    """Declarative base of every ledger table."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: sa.DateTime(timezone=True),
        Decimal: sa.Numeric(12, 2),
        uuid.UUID: sa.Uuid(),
    }


class Supplier(Base):
    """A launch operator; ``user_id`` links it to the login that acts for it."""

    __tablename__ = "suppliers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.Text)
    tax_id: Mapped[str] = mapped_column(sa.Text)
    legal_address: Mapped[str] = mapped_column(sa.Text)
    contact_email: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)


class Spaceport(Base):
    """A launch site."""

    __tablename__ = "spaceports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(sa.Text, unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[str] = mapped_column(sa.Text)


class Rocket(Base):
    """A supplier's rocket."""

    __tablename__ = "rockets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    supplier_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    capacity: Mapped[int]
    range: Mapped[RocketRange] = mapped_column(_text_enum(RocketRange))
    specs: Mapped[str] = mapped_column(sa.Text, server_default="", default="")
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint(_in_enum("range", RocketRange), name="range_valid"),
    )


class Launch(Base):
    """A launch on offer; ``version`` increases with every change (optimistic locking too)."""

    __tablename__ = "launches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    supplier_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    rocket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rockets.id"), index=True)
    spaceport_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("spaceports.id"), index=True)
    destination: Mapped[str] = mapped_column(sa.Text)
    launch_date: Mapped[datetime]
    original_launch_date: Mapped[datetime]
    price_per_seat: Mapped[Decimal]
    total_seats: Mapped[int]
    seats_sold: Mapped[int] = mapped_column(server_default="0", default=0)
    status: Mapped[LaunchStatus] = mapped_column(_text_enum(LaunchStatus))
    slug: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(
        server_default=sa.func.now(), onupdate=sa.func.now()
    )
    version: Mapped[int] = mapped_column(default=1)
    # When ``jobs.check_launch_viability`` found it under 30 % sold three months before its
    # (current) date; cleared when the launch is delayed, so the new date is checked again.
    viability_flagged_at: Mapped[datetime | None]

    __table_args__ = (
        sa.CheckConstraint("price_per_seat > 0", name="price_positive"),
        sa.CheckConstraint("total_seats > 0", name="total_seats_positive"),
        sa.CheckConstraint(_in_enum("status", LaunchStatus), name="status_valid"),
        # The last line of defence against overbooking, whatever the code above does.
        sa.CheckConstraint(
            "seats_sold >= 0 AND seats_sold <= total_seats", name="seats_sold_valid"
        ),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class LaunchStatusHistory(Base):
    """One status change of a launch (the first row has no ``from_status``)."""

    __tablename__ = "launch_status_history"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    launch_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("launches.id"), index=True)
    from_status: Mapped[LaunchStatus | None] = mapped_column(_text_enum(LaunchStatus))
    to_status: Mapped[LaunchStatus] = mapped_column(_text_enum(LaunchStatus))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    by_user: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    launch_date: Mapped[datetime | None]  # the date in effect after the change (set from 0002)

    __table_args__ = (
        sa.CheckConstraint(_in_enum("from_status", LaunchStatus), name="from_status_valid"),
        sa.CheckConstraint(_in_enum("to_status", LaunchStatus), name="to_status_valid"),
    )


class OutboxEvent(Base):
    """An event for the other stores, written in the transaction of the change it describes."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    topic: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    published_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
    )


class Booking(Base):
    """A booking as the ledger of record knows it (same id as in the customer store)."""

    __tablename__ = "bookings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    launch_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("launches.id"), index=True)
    customer_id: Mapped[str] = mapped_column(sa.Text, index=True)
    customer_email: Mapped[str] = mapped_column(sa.Text)
    seats: Mapped[int]
    unit_price: Mapped[Decimal]
    total: Mapped[Decimal]
    status: Mapped[BookingStatus] = mapped_column(_text_enum(BookingStatus))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(sa.Text)
    refund_percent: Mapped[int | None]

    __table_args__ = (
        sa.CheckConstraint("seats > 0", name="seats_positive"),
        sa.CheckConstraint(_in_enum("status", BookingStatus), name="status_valid"),
    )


class Passenger(Base):
    """One passenger of a booking (one per seat)."""

    __tablename__ = "passengers"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.Text)
    date_of_birth: Mapped[date]
    email: Mapped[str | None] = mapped_column(sa.Text)


class InvoiceCounter(Base):
    """The last invoice number issued in a year (its row lock serialises numbering)."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int]


class Invoice(Base):
    """An invoice issued by AstroBookings (numbered ``INV-YYYY-NNNNNN``) or received from a supplier."""

    __tablename__ = "invoices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[InvoiceKind] = mapped_column(_text_enum(InvoiceKind))
    emitter: Mapped[str] = mapped_column(sa.Text)
    recipient: Mapped[str] = mapped_column(sa.Text)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.Text, server_default="USD", default="USD")
    issue_date: Mapped[date]
    due_date: Mapped[date]
    payment_status: Mapped[InvoiceStatus] = mapped_column(_text_enum(InvoiceStatus))
    paid_at: Mapped[datetime | None]
    booking_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    launch_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("launches.id"), index=True)
    supplier_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(_in_enum("kind", InvoiceKind), name="kind_valid"),
        sa.CheckConstraint(_in_enum("payment_status", InvoiceStatus), name="payment_status_valid"),
        sa.Index(
            "uq_invoices_issued_number",
            "number",
            unique=True,
            postgresql_where=sa.text("kind <> 'RECEIVED'"),
        ),
        sa.Index(
            "uq_invoices_received_number",
            "supplier_id",
            "number",
            unique=True,
            postgresql_where=sa.text("kind = 'RECEIVED'"),
        ),
        # At most one fee invoice of each kind per launch, one invoice per booking.
        sa.Index(
            "uq_invoices_launch_fee",
            "launch_id",
            "kind",
            unique=True,
            postgresql_where=sa.text("kind IN ('LAUNCH_FEE', 'ABORT_FEE')"),
        ),
        sa.Index(
            "uq_invoices_booking",
            "booking_id",
            unique=True,
            postgresql_where=sa.text("kind = 'BOOKING'"),
        ),
    )


class Payment(Base):
    """Money expected for (or, for a received invoice, owed on) an invoice."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    booking_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    amount: Mapped[Decimal]
    status: Mapped[MoneyStatus] = mapped_column(_text_enum(MoneyStatus))
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    processed_at: Mapped[datetime | None]
    processed_by: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(_in_enum("status", MoneyStatus), name="status_valid"),
    )


class Refund(Base):
    """Money owed back to a customer for a cancelled booking."""

    __tablename__ = "refunds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    booking_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    amount: Mapped[Decimal]
    percent: Mapped[int]
    status: Mapped[MoneyStatus] = mapped_column(_text_enum(MoneyStatus))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
    processed_at: Mapped[datetime | None]
    processed_by: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(_in_enum("status", MoneyStatus), name="status_valid"),
    )


def asyncpg_url(settings: Settings) -> str:
    """``settings.postgres_url`` in the form SQLAlchemy's asyncpg dialect wants."""
    url = settings.postgres_url
    if not url:
        raise RuntimeError("ASTRO_POSTGRES_URL is not set: the admin subgraph needs PostgreSQL.")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
        raise RuntimeError(f"ASTRO_POSTGRES_URL must be a postgresql:// URL, not {scheme!r}.")
    return f"postgresql+asyncpg://{rest}"


@dataclass(frozen=True, slots=True)
class Database:
    """An engine and the session factory bound to it."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def open(cls, settings: Settings) -> Database:
        """Connect lazily to the ledger database of ``settings``."""
        engine = create_async_engine(asyncpg_url(settings), pool_pre_ping=True)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config() -> Config:
    """The Alembic configuration of the admin migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: sa.Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(settings: Settings) -> None:
    """Apply every pending Alembic migration to the ledger database (safe to run concurrently)."""
    engine = create_async_engine(asyncpg_url(settings))
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
            # Alembic's command API is synchronous: run_sync lends it this connection.
            await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()


__all__ = [
    "TERMINAL_STATUSES",
    "Base",
    "Booking",
    "BookingStatus",
    "Database",
    "Invoice",
    "InvoiceCounter",
    "InvoiceKind",
    "InvoiceStatus",
    "Launch",
    "LaunchStatus",
    "LaunchStatusHistory",
    "MoneyStatus",
    "OutboxEvent",
    "Passenger",
    "Payment",
    "Refund",
    "Rocket",
    "RocketRange",
    "Spaceport",
    "Supplier",
    "migrate",
]
