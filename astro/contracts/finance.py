"""Messages about money: invoices issued and refunds paid out, for the people to tell."""

from __future__ import annotations

from datetime import date
from typing import Literal

from astro.contracts.message import Message, Money
from astro.contracts.parts import LaunchSummary, Part, Person


class InvoiceInfo(Part):
    id: str
    number: str
    kind: Literal["BOOKING", "LAUNCH_FEE", "ABORT_FEE", "RECEIVED"]
    amount: Money
    currency: str = "USD"
    issue_date: date
    due_date: date
    booking_id: str | None = None


class InvoiceRecipient(Part):
    name: str
    email: str | None = None
    user_id: str | None = None


class InvoiceIssued(Message):
    """Ledger → notifications: an AstroBookings invoice went to a customer or a supplier."""

    topic: Literal["invoice.issued"] = "invoice.issued"
    invoice: InvoiceInfo
    recipient: InvoiceRecipient
    launch: LaunchSummary | None = None


class RefundInfo(Part):
    id: str
    amount: Money
    percent: int
    status: Literal["PENDING", "COMPLETED", "FAILED"]


class RefundProcessed(Message):
    """Ledger → notifications: finance paid a refund out to the booking's customer."""

    topic: Literal["refund.processed"] = "refund.processed"
    refund: RefundInfo
    booking_id: str
    customer: Person
    launch: LaunchSummary
