"""The pieces several messages carry: people, supplier contacts and launches at a glance."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from astro.contracts.message import Instant, Money

LaunchStatus = Literal["SCHEDULED", "CONFIRMED", "DELAYED", "SUCCESSFUL", "FAILED", "ABORTED"]


class Part(BaseModel):
    """A piece of a message: frozen, and blind to fields it does not know."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Person(Part):
    """A customer (or anyone told something): a user id and/or an email."""

    id: str | None = None
    email: str | None = None


class SupplierContact(Part):
    """Who to tell at a supplier: its contact email and the login acting for it (if any)."""

    id: str
    name: str
    contact_email: str | None = None
    user_id: str | None = None


class LaunchSummary(Part):
    """What a message about a launch names: where, when (its current date) and its status."""

    id: str
    slug: str
    destination: str
    launch_date: Instant
    status: LaunchStatus


class RocketInfo(Part):
    id: str
    name: str
    capacity: int
    range: str


class SupplierInfo(Part):
    id: str
    name: str


class SpaceportInfo(Part):
    id: str
    code: str
    name: str
    location: str


class LaunchSnapshot(Part):
    """A launch's full state at its ``version`` (the entity's version, for ordering): what the
    catalog keeps of it."""

    id: str
    slug: str
    destination: str
    launch_date: Instant
    price_per_seat: Money = Field(gt=0)
    total_seats: int = Field(ge=0)
    seats_sold: int = Field(ge=0)
    status: LaunchStatus
    rocket: RocketInfo
    supplier: SupplierInfo
    spaceport: SpaceportInfo
    version: int
