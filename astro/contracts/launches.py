"""Messages about launches: the ledger's catalog snapshots and what people are told about a
launch (its supplier when it sells too little, the VIPs when it is scheduled)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from astro.contracts.message import Instant, Message, Money
from astro.contracts.parts import (
    LaunchSnapshot,
    LaunchStatus,
    LaunchSummary,
    Part,
    Person,
    SupplierContact,
)


class LaunchScheduled(Message):
    """Ledger → catalog: a new launch, as a full snapshot; its supplier's contact too."""

    topic: Literal["launch.scheduled"] = "launch.scheduled"
    launch: LaunchSnapshot
    # Since the notifications (absent from older rows).
    supplier_contact: SupplierContact | None = None


class LaunchChange(Part):
    """What a ``launch.updated`` changed, for the people to tell about it."""

    action: str  # confirm, delay, abort, succeed, fail, edit
    from_status: LaunchStatus | None = None
    reason: str | None = None
    previous_launch_date: Instant


class LaunchUpdated(Message):
    """Ledger → catalog and notifications: the launch's new snapshot; for a lifecycle change or
    an edit, the ``change`` and the customers with an active booking (told of a delay or an
    abort)."""

    topic: Literal["launch.updated"] = "launch.updated"
    launch: LaunchSnapshot
    # Since the notifications (absent from older rows), like ``change`` and the customers.
    supplier_contact: SupplierContact | None = None
    change: LaunchChange | None = None
    active_customers: tuple[Person, ...] = ()


class ViabilityLaunch(LaunchSummary):
    total_seats: int = Field(ge=0)
    seats_sold: int = Field(ge=0)


class ViabilityFlagged(Message):
    """Ledger → notifications: under the threshold three months out; its supplier decides."""

    topic: Literal["launch.viability_flagged"] = "launch.viability_flagged"
    launch: ViabilityLaunch
    supplier: SupplierContact
    threshold_percent: int = Field(ge=0, le=100)
    flagged_at: Instant


class VipLaunch(Part):
    """The launch a VIP is told about (no status: it is newly scheduled)."""

    id: str
    slug: str
    destination: str
    launch_date: Instant
    price_per_seat: Money


class VipAnnouncement(Message):
    """Customer → notifications: tell one VIP about a newly scheduled launch.

    Its ``event_id`` is the ``launch.scheduled`` event's: with the customer it makes the
    announcement's job id and email dedupe key, so announcing twice tells nobody twice.
    """

    topic: Literal["launch.vip_announcement"] = "launch.vip_announcement"
    customer: Person
    launch: VipLaunch
