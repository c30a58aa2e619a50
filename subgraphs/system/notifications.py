"""Notifications: who is told what about an event, the emails made from it (once each), and
their delivery with retries.

Events come from the admin outbox (``booking.*``, ``launch.updated``, ``launch.viability_flagged``,
``invoice.issued``, ``refund.processed``) and from the customer subgraph
(``launch.vip_announcement``, one per VIP when a launch is scheduled), each read as its contract
(:mod:`astro.contracts`). Each email has a dedupe key
(event id, kind, recipient) that is unique in the store, so an event handled twice makes each
email once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from astro.contracts.bookings import BookingCancelled, BookingConfirmed, BookingRejected
from astro.contracts.finance import InvoiceIssued, RefundProcessed
from astro.contracts.launches import (
    LaunchUpdated,
    ViabilityFlagged,
    VipAnnouncement,
    VipLaunch,
)
from astro.contracts.message import Message
from astro.contracts.parts import LaunchSnapshot, LaunchSummary, SupplierContact
from astro.settings import Settings
from subgraphs.system import mail, store
from subgraphs.system.store import (
    DeliveryAttempt,
    NotificationDocument,
    NotificationStatus,
    utcnow,
)
from subgraphs.system.templates import day, money, render, when

log = logging.getLogger(__name__)

VIP_ANNOUNCEMENT = VipAnnouncement.TOPIC
ERROR_LIMIT = 500


# --- drafts: who gets which email ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """One email to make: its kind, recipient (a user id and/or an email) and template values."""

    kind: str
    user_id: str | None
    email: str | None
    values: dict[str, str]
    booking_id: str | None = None
    launch_id: str | None = None
    invoice_id: str | None = None


def _instant(value: datetime) -> str:
    return when(value.astimezone(UTC).isoformat())


def _launch_values(launch: LaunchSummary | LaunchSnapshot | VipLaunch) -> dict[str, str]:
    return {
        "destination": launch.destination,
        "launch_date": _instant(launch.launch_date),
        "slug": launch.slug,
    }


def _supplier_draft(
    kind: str, supplier: SupplierContact | None, values: dict[str, str], **related: str | None
) -> list[Draft]:
    if supplier is None or not (supplier.contact_email or supplier.user_id):
        return []
    return [
        Draft(
            kind,
            supplier.user_id,
            supplier.contact_email,
            {**values, "supplier_name": supplier.name},
            **related,
        )
    ]


_CANCELLED_BY = {
    "customer": " at the customer's request",
    "finance": " by the AstroBookings finance team",
    "abort": " because the launch was aborted",
}


_T = TypeVar("_T")


def _need(value: _T | None, what: str) -> _T:
    """A part of the contract the emails need but that payloads written before notifications
    existed do not carry."""
    if value is None:
        raise UnreadableEvent(f"event without {what}, which its emails need")
    return value


def _booking_confirmed(event: BookingConfirmed) -> list[Draft]:
    launch, customer = _need(event.launch, "launch"), _need(event.customer, "customer")
    values = {
        **_launch_values(launch),
        "seats": str(_need(event.seats, "seats")),
        "total": money(_need(event.total, "total")),
        "booking_id": event.booking_id,
    }
    related = {"booking_id": event.booking_id, "launch_id": launch.id}
    return [
        Draft("booking_confirmed", customer.id, customer.email, values, **related),
        *_supplier_draft("booking_received", event.supplier, values, **related),
    ]


def _booking_rejected(event: BookingRejected) -> list[Draft]:
    launch, customer = _need(event.launch, "launch"), _need(event.customer, "customer")
    values = {
        **_launch_values(launch),
        "seats": str(event.seats),
        "reason": event.reason or "the launch could not take the booking.",
        "booking_id": event.booking_id,
    }
    return [
        Draft(
            "booking_rejected",
            customer.id,
            customer.email,
            values,
            booking_id=event.booking_id,
            launch_id=launch.id,
        )
    ]


def _booking_cancelled(event: BookingCancelled) -> list[Draft]:
    if event.cancelled_by == "abort":
        return []  # the launch's abort notice tells the same people, refund included
    launch, customer = _need(event.launch, "launch"), _need(event.customer, "customer")
    values = {
        **_launch_values(launch),
        "seats": str(event.seats),
        "booking_id": event.booking_id,
        "refund_percent": str(event.refund_percent),
        "refund_amount": money(event.refund_amount),
        "cancelled_by_text": _CANCELLED_BY.get(event.cancelled_by, ""),
        "seats_released_text": "yes" if event.seats_released else "no (no refund is due)",
    }
    related = {"booking_id": event.booking_id, "launch_id": launch.id}
    return [
        Draft("booking_cancelled", customer.id, customer.email, values, **related),
        *_supplier_draft("booking_cancelled_supplier", event.supplier, values, **related),
    ]


def _launch_updated(event: LaunchUpdated) -> list[Draft]:
    change = event.change
    if change is None or change.action not in {"delay", "abort"}:
        return []  # only delays and aborts are news for the customers
    kind = "launch_delayed" if change.action == "delay" else "launch_aborted"
    customers = {(person.id, person.email) for person in event.active_customers}
    values = {
        **_launch_values(event.launch),
        "previous_launch_date": _instant(change.previous_launch_date),
        "reason": change.reason or "none given",
        "customer_count": str(len(customers)),
    }
    drafts = [
        Draft(kind, customer_id, email, values, launch_id=event.launch.id)
        for customer_id, email in sorted(customers, key=lambda item: (item[0] or "", item[1] or ""))
    ]
    return drafts + _supplier_draft(
        f"{kind}_supplier", event.supplier_contact, values, launch_id=event.launch.id
    )


def _viability_flagged(event: ViabilityFlagged) -> list[Draft]:
    values = {
        **_launch_values(event.launch),
        "seats_sold": str(event.launch.seats_sold),
        "total_seats": str(event.launch.total_seats),
        "threshold_percent": str(event.threshold_percent),
    }
    return _supplier_draft(
        "launch_below_viability", event.supplier, values, launch_id=event.launch.id
    )


_INVOICE_KINDS = {
    "BOOKING": "your booking",
    "LAUNCH_FEE": "the platform fee of a successful launch",
    "ABORT_FEE": "the fee of an aborted launch",
}


def _invoice_issued(event: InvoiceIssued) -> list[Draft]:
    invoice, launch = event.invoice, event.launch
    values = {
        "recipient_name": event.recipient.name,
        "number": invoice.number,
        "kind_text": _INVOICE_KINDS.get(invoice.kind, invoice.kind.lower()),
        "amount": money(invoice.amount, invoice.currency),
        "issue_date": day(invoice.issue_date.isoformat()),
        "due_date": day(invoice.due_date.isoformat()),
        "launch_text": (
            ""
            if launch is None
            else f"\nLaunch: {launch.destination} on {_instant(launch.launch_date)}."
        ),
    }
    return [
        Draft(
            "invoice_issued",
            event.recipient.user_id,
            event.recipient.email,
            values,
            booking_id=invoice.booking_id,
            launch_id=None if launch is None else launch.id,
            invoice_id=invoice.id,
        )
    ]


def _refund_processed(event: RefundProcessed) -> list[Draft]:
    values = {
        **_launch_values(event.launch),
        "amount": money(event.refund.amount),
        "percent": str(event.refund.percent),
        "booking_id": event.booking_id,
    }
    return [
        Draft(
            "refund_processed",
            event.customer.id,
            event.customer.email,
            values,
            booking_id=event.booking_id,
            launch_id=event.launch.id,
        )
    ]


def _vip_announcement(event: VipAnnouncement) -> list[Draft]:
    values = {**_launch_values(event.launch), "price_per_seat": money(event.launch.price_per_seat)}
    return [
        Draft(
            "launch_scheduled_vip",
            event.customer.id,
            event.customer.email,
            values,
            launch_id=event.launch.id,
        )
    ]


_PLANNERS: dict[str, tuple[type[Message], Callable[[Any], list[Draft]]]] = {
    model.TOPIC: (model, planner)
    for model, planner in (
        (BookingConfirmed, _booking_confirmed),
        (BookingRejected, _booking_rejected),
        (BookingCancelled, _booking_cancelled),
        (LaunchUpdated, _launch_updated),
        (ViabilityFlagged, _viability_flagged),
        (InvoiceIssued, _invoice_issued),
        (RefundProcessed, _refund_processed),
        (VipAnnouncement, _vip_announcement),
    )
}

TOPICS = frozenset(_PLANNERS)


class UnreadableEvent(Exception):
    """An event of an unknown topic, or without what its emails need."""


def plan(event: dict[str, Any]) -> tuple[str, str, list[Draft]]:
    """``(event_id, topic, drafts)``: the emails ``event`` calls for (possibly none)."""
    topic = event.get("topic")
    if not isinstance(topic, str) or topic not in _PLANNERS:
        raise UnreadableEvent(f"no notifications for topic {topic!r}")
    model, planner = _PLANNERS[topic]
    try:
        parsed = model.model_validate(event)
    except ValidationError as exc:
        raise UnreadableEvent(f"{topic} event without what its emails need: {exc}") from exc
    return parsed.event_id, topic, planner(parsed)


# --- making the emails --------------------------------------------------------------------------


def dedupe_key(event_id: str, draft: Draft) -> str:
    """One email per event, kind and recipient."""
    return f"{event_id}:{draft.kind}:{draft.user_id or (draft.email or '').lower()}"


async def create_notifications(event: dict[str, Any]) -> list[NotificationDocument]:
    """Make the emails ``event`` calls for (each once); the PENDING ones, ready to deliver.

    A recipient's email is the one the event names, else their account's.
    """
    event_id, topic, drafts = plan(event)
    user_ids = [draft.user_id for draft in drafts if draft.user_id and not draft.email]
    accounts = {user.id: user for user in await store.users_by_ids(user_ids) if user is not None}
    pending: list[NotificationDocument] = []
    for draft in drafts:
        email = draft.email or (
            accounts[draft.user_id].email if draft.user_id in accounts else None
        )
        if not email:
            log.warning(
                "%s %s: no email for %s (user %s)", topic, event_id, draft.kind, draft.user_id
            )
            continue
        rendered = render(draft.kind, draft.values)
        stored, _created = await store.insert_notification(
            NotificationDocument(
                dedupe_key=dedupe_key(event_id, draft),
                kind=draft.kind,
                recipient_user_id=draft.user_id,
                recipient_email=email.strip().lower(),
                subject=rendered.subject,
                body=rendered.body,
                topic=topic,
                event_id=event_id,
                booking_id=draft.booking_id,
                launch_id=draft.launch_id,
                invoice_id=draft.invoice_id,
            )
        )
        if stored.status is NotificationStatus.PENDING:
            pending.append(stored)
    return pending


# --- delivering them ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one delivery run did; ``retry_in`` seconds when it should run again."""

    outcome: Literal["sent", "retry", "failed", "done", "busy", "missing"]
    retry_in: float | None = None
    errors: list[str] = field(default_factory=list)


def backoff(settings: Settings, tries: int) -> float:
    """Seconds before try ``tries + 1``: doubling from ``notification_retry_seconds``, capped."""
    delay = settings.notification_retry_seconds * 2 ** max(tries - 1, 0)
    return float(min(delay, settings.notification_retry_max_seconds))


def lease(settings: Settings) -> timedelta:
    """How long one delivery may hold a notification (longer than any SMTP exchange)."""
    return timedelta(seconds=settings.smtp_timeout_seconds * 2 + 30)


async def deliver(
    settings: Settings, notification_id: str, now: datetime | None = None
) -> Delivery:
    """Try to send the notification once, and record the attempt.

    Sent → SENT. Refused or unreachable → the attempt is recorded with its error, and the
    notification stays PENDING with a retry due after :func:`backoff`, or becomes FAILED once
    ``notification_max_attempts`` attempts of this round have failed. Someone else delivering it
    right now → ``busy`` (try again when their lease ends); not PENDING → ``done``.
    """
    started = now or utcnow()
    claimed = await store.claim_delivery(notification_id, started, lease(settings))
    if claimed is None:
        current = await store.notification(notification_id)
        if current is None:
            return Delivery("missing")
        if current.status is not NotificationStatus.PENDING or current.delivering_until is None:
            return Delivery("done")
        return Delivery(
            "busy", retry_in=max((current.delivering_until - started).total_seconds(), 0.1)
        )
    try:
        await mail.send(settings, claimed)
    except Exception as exc:  # every failure of the SMTP exchange is an attempt that failed
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT]
        tries = claimed.round_attempts + 1
        at = utcnow()
        attempt = DeliveryAttempt(at=at, ok=False, error=error, round=claimed.round)
        if tries >= settings.notification_max_attempts:
            await store.finish_attempt(claimed, attempt, status=NotificationStatus.FAILED)
            log.warning("notification %s FAILED after %d attempts: %s", claimed.id, tries, error)
            return Delivery("failed", errors=[error])
        delay = backoff(settings, tries)
        await store.finish_attempt(
            claimed,
            attempt,
            status=NotificationStatus.PENDING,
            next_attempt_at=at + timedelta(seconds=delay),
        )
        log.info(
            "notification %s attempt %d failed (%s); retry in %.1fs",
            claimed.id,
            tries,
            error,
            delay,
        )
        return Delivery("retry", retry_in=delay, errors=[error])
    attempt = DeliveryAttempt(at=utcnow(), ok=True, round=claimed.round)
    await store.finish_attempt(claimed, attempt, status=NotificationStatus.SENT)
    return Delivery("sent")
