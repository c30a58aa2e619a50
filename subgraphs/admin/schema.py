"""The admin subgraph's GraphQL schema (Federation v2): launches, rockets, suppliers, spaceports.

Type and field names are a contract with the customer subgraph and the gateway.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from astro.errors import Forbidden, NotFound
from astro.identity import Identity
from subgraphs.admin import figures, fleet, lifecycle, money, reports, resolvers, store, views
from subgraphs.admin.ledger_types import (
    Invoice,
    LaunchReportLine,
    LedgerPageInfo,
    LedgerPassenger,
    Payment,
    Refund,
    SupplierReportLine,
    YearReportLine,
)
from subgraphs.admin.pages import Page
from subgraphs.admin.resolvers import AdminContext, LaunchPlan, maybe_id, parse_id
from subgraphs.admin.store import (
    BookingStatus,
    InvoiceKind,
    InvoiceStatus,
    LaunchStatus,
    MoneyStatus,
    RocketRange,
)
from subgraphs.serving import SubgraphSchema

# The ledger's enums are the GraphQL enums (strawberry.enum registers the class in place).
# No descriptions: the customer subgraph declares the identical LaunchStatus enum.
strawberry.enum(LaunchStatus)
strawberry.enum(RocketRange)

AdminInfo = Info[AdminContext, None]

log = logging.getLogger(__name__)


PROFILE_READERS = [["supplier:profile"], ["invoices:read"]]
LEDGER_READERS = [["launches:own"], ["launches:read"]]
BOOKING_READERS = [["bookings:supplier"], ["bookings:read"]]


async def may_read_supplier(
    info: AdminInfo, supplier_id: uuid.UUID, *, every: str, own: str
) -> Identity:
    """Row-level rule: scope ``every`` reads every supplier's data, scope ``own`` only the data of
    the caller's own supplier (``launches:read`` vs ``launches:own``, ``invoices:read`` vs
    ``supplier:profile``); anyone else is refused, as the field's ``@requiresScopes`` says."""
    identity = info.context.require_any_scope(own, every)
    if identity.has_scope(every):
        return identity
    user_id = maybe_id(identity.sub)
    # A loader, not a lookup per field: every row of a list asks at once, one query answers.
    own_row = None if user_id is None else await info.context.data.supplier_by_user.load(user_id)
    if own_row is None or own_row.id != supplier_id:
        raise Forbidden("This belongs to another supplier.")
    return identity


def _profile_field(name: str) -> Callable[[Supplier, AdminInfo], Awaitable[str]]:
    async def resolve(root: Supplier, info: AdminInfo) -> str:
        await may_read_supplier(info, root.row.id, every="invoices:read", own="supplier:profile")
        value: str = getattr(root.row, name)
        return value

    return resolve


RowT = TypeVar("RowT")


async def _load_reference(
    loader: DataLoader[uuid.UUID, RowT | None], value: str, type_name: str
) -> RowT:
    """The row an entity representation names, batched through ``loader``; else NOT_FOUND."""
    parsed = maybe_id(value)
    row = None if parsed is None else await loader.load(parsed)
    if row is None:
        raise NotFound(f"No {type_name} with id {value!r}.")
    return row


@strawberry.federation.type(keys=["id"])
class Supplier:
    """A launch operator."""

    id: strawberry.ID
    name: str
    row: strawberry.Private[store.Supplier]

    @classmethod
    def from_row(cls, row: store.Supplier) -> Supplier:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, row=row)

    tax_id: str = strawberry.federation.field(
        resolver=_profile_field("tax_id"), requires_scopes=PROFILE_READERS
    )
    legal_address: str = strawberry.federation.field(
        resolver=_profile_field("legal_address"), requires_scopes=PROFILE_READERS
    )
    contact_email: str = strawberry.federation.field(
        resolver=_profile_field("contact_email"), requires_scopes=PROFILE_READERS
    )

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Supplier:
        row = await _load_reference(info.context.data.supplier, id, "supplier")
        return cls.from_row(row)


@strawberry.federation.type(keys=["id"])
class Spaceport:
    """A launch site."""

    id: strawberry.ID
    code: str
    name: str
    location: str

    @classmethod
    def from_row(cls, row: store.Spaceport) -> Spaceport:
        return cls(
            id=strawberry.ID(str(row.id)), code=row.code, name=row.name, location=row.location
        )

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Spaceport:
        row = await _load_reference(info.context.data.spaceport, id, "spaceport")
        return cls.from_row(row)


@strawberry.federation.type(keys=["id"])
class Rocket:
    """A supplier's rocket."""

    id: strawberry.ID
    name: str
    capacity: int
    range: RocketRange
    specs: str

    @classmethod
    def from_row(cls, row: store.Rocket) -> Rocket:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            capacity=row.capacity,
            range=row.range,
            specs=row.specs,
        )

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Rocket:
        row = await _load_reference(info.context.data.rocket, id, "rocket")
        return cls.from_row(row)


async def _launch_figures(root: Launch, info: AdminInfo) -> LaunchFigures:
    await may_read_supplier(info, root.supplier_id, every="launches:read", own="launches:own")
    return LaunchFigures.from_figures(await info.context.data.figures.load(root.row))


async def _status_history(root: Launch, info: AdminInfo) -> list[LaunchStatusChange]:
    await may_read_supplier(info, root.supplier_id, every="launches:read", own="launches:own")
    rows = await info.context.data.status_history.load(root.row.id)
    return [LaunchStatusChange.from_row(row) for row in rows]


@strawberry.federation.type(keys=["id"])
class Launch:
    """A launch offering seats; owned here, extended by the customer subgraph."""

    id: strawberry.ID
    destination: str = strawberry.federation.field(shareable=True)
    launch_date: datetime = strawberry.federation.field(shareable=True)
    price_per_seat: Decimal = strawberry.federation.field(shareable=True)
    status: LaunchStatus = strawberry.federation.field(shareable=True)
    total_seats: int
    slug: str = strawberry.federation.field(shareable=True)
    original_launch_date: datetime = strawberry.field(
        description="The date first scheduled; launchDate moves when the launch is delayed."
    )
    row: strawberry.Private[store.Launch]
    rocket_id: strawberry.Private[uuid.UUID]
    supplier_id: strawberry.Private[uuid.UUID]
    spaceport_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: store.Launch) -> Launch:
        return cls(
            id=strawberry.ID(str(row.id)),
            destination=row.destination,
            launch_date=row.launch_date,
            price_per_seat=row.price_per_seat,
            status=row.status,
            total_seats=row.total_seats,
            slug=row.slug,
            original_launch_date=row.original_launch_date,
            row=row,
            rocket_id=row.rocket_id,
            supplier_id=row.supplier_id,
            spaceport_id=row.spaceport_id,
        )

    @classmethod
    async def resolve_reference(cls, info: AdminInfo, id: strawberry.ID) -> Launch:
        row = await _load_reference(info.context.data.launch, id, "launch")
        return cls.from_row(row)

    @strawberry.field
    async def rocket(self, info: AdminInfo) -> Rocket:
        row = await info.context.data.rocket.load(self.rocket_id)
        if row is None:  # only if the foreign key were broken
            raise NotFound(f"The rocket of launch {self.id} is missing.")
        return Rocket.from_row(row)

    @strawberry.field
    async def supplier(self, info: AdminInfo) -> Supplier:
        row = await info.context.data.supplier.load(self.supplier_id)
        if row is None:
            raise NotFound(f"The supplier of launch {self.id} is missing.")
        return Supplier.from_row(row)

    @strawberry.field
    async def spaceport(self, info: AdminInfo) -> Spaceport:
        row = await info.context.data.spaceport.load(self.spaceport_id)
        if row is None:
            raise NotFound(f"The spaceport of launch {self.id} is missing.")
        return Spaceport.from_row(row)

    figures: LaunchFigures = strawberry.federation.field(
        resolver=_launch_figures,
        requires_scopes=LEDGER_READERS,
        description="Seats sold, seats left, occupancy, money and the viability flag "
        "(its supplier, finance).",
    )
    status_history: list[LaunchStatusChange] = strawberry.federation.field(
        resolver=_status_history,
        requires_scopes=LEDGER_READERS,
        description="Every status change, oldest first (its supplier, finance).",
    )


@strawberry.type
class LaunchFigures:
    """Occupancy and money of a launch."""

    seats_sold: int
    seats_left: int
    occupancy_percent: Decimal
    revenue: Decimal = strawberry.field(description="Accepted bookings' totals less refunds.")
    collected: Decimal = strawberry.field(description="Completed payments less completed refunds.")
    below_viability_threshold: bool = strawberry.field(
        description="Under 30 % of seats sold with three months or less to go."
    )
    viability_flagged_at: datetime | None = strawberry.field(
        description="When the daily viability check flagged the launch and told its supplier "
        "(cleared by a delay: the new date is checked again)."
    )

    @classmethod
    def from_figures(cls, figures: figures.LaunchFigures) -> LaunchFigures:
        return cls(
            seats_sold=figures.seats_sold,
            seats_left=figures.seats_left,
            occupancy_percent=figures.occupancy_percent,
            revenue=figures.revenue,
            collected=figures.collected,
            below_viability_threshold=figures.below_viability_threshold,
            viability_flagged_at=figures.viability_flagged_at,
        )


@strawberry.type
class LaunchStatusChange:
    """One step of a launch's lifecycle: who moved it, when, why, and the date then in effect."""

    from_status: LaunchStatus | None
    to_status: LaunchStatus
    reason: str | None
    by_user: str | None
    at: datetime
    launch_date: datetime | None

    @classmethod
    def from_row(cls, row: store.LaunchStatusHistory) -> LaunchStatusChange:
        return cls(
            from_status=row.from_status,
            to_status=row.to_status,
            reason=row.reason,
            by_user=row.by_user,
            at=row.at,
            launch_date=row.launch_date,
        )


async def _booking_invoice(root: LedgerBooking, info: AdminInfo) -> Invoice | None:
    info.context.require_scope("invoices:read")
    row = await info.context.data.booking_invoice.load(root.row.id)
    return None if row is None else Invoice.from_row(row)


@strawberry.type
class LedgerBooking:
    """A booking in the ledger of record (the customer subgraph owns the customer's Booking)."""

    id: strawberry.ID
    customer_id: str
    customer_email: str
    seats: int
    unit_price: Decimal
    total: Decimal
    status: BookingStatus
    reason: str | None
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    refund_percent: int | None
    row: strawberry.Private[store.Booking]

    @classmethod
    def from_row(cls, row: store.Booking) -> LedgerBooking:
        return cls(
            id=strawberry.ID(str(row.id)),
            customer_id=row.customer_id,
            customer_email=row.customer_email,
            seats=row.seats,
            unit_price=row.unit_price,
            total=row.total,
            status=row.status,
            reason=row.reason,
            created_at=row.created_at,
            cancelled_at=row.cancelled_at,
            cancelled_by=row.cancelled_by,
            refund_percent=row.refund_percent,
            row=row,
        )

    @strawberry.field
    async def launch(self, info: AdminInfo) -> Launch:
        row = await info.context.data.launch.load(self.row.launch_id)
        if row is None:
            raise NotFound(f"The launch of booking {self.id} is missing.")
        return Launch.from_row(row)

    @strawberry.field
    async def passengers(self, info: AdminInfo) -> list[LedgerPassenger]:
        rows = await info.context.data.passengers.load(self.row.id)
        return [LedgerPassenger.from_row(row) for row in rows]

    @strawberry.field
    async def payment_status(self, info: AdminInfo) -> MoneyStatus | None:
        """The latest payment's status; null for a rejected booking."""
        return await info.context.data.payment_status.load(self.row.id)

    @strawberry.field
    async def refund(self, info: AdminInfo) -> Refund | None:
        row = await info.context.data.refund.load(self.row.id)
        return None if row is None else Refund.from_row(row)

    invoice: Invoice | None = strawberry.federation.field(
        resolver=_booking_invoice, requires_scopes=[["invoices:read"]]
    )


@strawberry.type
class LedgerLaunchConnection:
    nodes: list[Launch]
    page_info: LedgerPageInfo


@strawberry.type
class LedgerBookingConnection:
    nodes: list[LedgerBooking]
    page_info: LedgerPageInfo


@strawberry.type
class InvoiceConnection:
    nodes: list[Invoice]
    page_info: LedgerPageInfo


@strawberry.type
class PaymentConnection:
    nodes: list[Payment]
    page_info: LedgerPageInfo


@strawberry.type
class RefundConnection:
    nodes: list[Refund]
    page_info: LedgerPageInfo


@strawberry.input
class ScheduleLaunchInput:
    """A new launch on one of the caller's rockets."""

    rocket_id: strawberry.ID
    spaceport_id: strawberry.ID
    destination: str
    launch_date: datetime = strawberry.field(
        description="More than a year ahead (configurable), with a timezone offset."
    )
    price_per_seat: Decimal = strawberry.field(description="Greater than 0, at most 2 decimals.")
    seats: int = strawberry.field(description="Seats on sale: at least 1, at most the capacity.")


@strawberry.input
class AddRocketInput:
    """A new rocket for the caller's supplier."""

    name: str
    capacity: int
    range: RocketRange


async def launch_by_id(info: AdminInfo, id: strawberry.ID) -> Launch | None:
    row = await info.context.data.launch.load(parse_id(id, "id"))
    if row is None:
        raise NotFound(f"No launch with id {id}.", field="id")
    return Launch.from_row(row)


async def own_launches(info: AdminInfo) -> list[Launch]:
    identity = info.context.require_scope("launches:own")
    rows = await resolvers.supplier_launches(info.context.db, identity)
    return [Launch.from_row(row) for row in rows]


async def own_rockets(info: AdminInfo) -> list[Rocket]:
    identity = info.context.require_scope("rockets:own")
    rows = await resolvers.supplier_rockets(info.context.db, identity)
    return [Rocket.from_row(row) for row in rows]


async def every_spaceport(info: AdminInfo) -> list[Spaceport]:
    return [Spaceport.from_row(row) for row in await resolvers.all_spaceports(info.context.db)]


async def every_supplier(info: AdminInfo) -> list[Supplier]:
    info.context.require_scope("launches:read")
    return [Supplier.from_row(row) for row in await resolvers.all_suppliers(info.context.db)]


async def schedule_launch(info: AdminInfo, input: ScheduleLaunchInput) -> Launch:
    context = info.context
    identity = context.require_scope("launches:own")
    plan = LaunchPlan(
        rocket_id=input.rocket_id,
        spaceport_id=input.spaceport_id,
        destination=input.destination,
        launch_date=input.launch_date,
        price_per_seat=input.price_per_seat,
        seats=input.seats,
    )
    parts = await resolvers.schedule_launch(context.db, context.settings, identity, plan)
    await resolvers.request_relay(context.queue, context.settings)
    context.data.rocket.prime(parts.rocket.id, parts.rocket)
    context.data.supplier.prime(parts.supplier.id, parts.supplier)
    context.data.spaceport.prime(parts.spaceport.id, parts.spaceport)
    return Launch.from_row(parts.launch)


async def add_rocket(info: AdminInfo, input: AddRocketInput) -> Rocket:
    identity = info.context.require_scope("rockets:own")
    row = await resolvers.add_rocket(
        info.context.db, identity, name=input.name, capacity=input.capacity, range_=input.range
    )
    return Rocket.from_row(row)


@strawberry.input
class UpdateLaunchInput:
    """Changes to a SCHEDULED launch; omitted fields stay as they are."""

    destination: str | None = None
    price_per_seat: Decimal | None = None
    seats: int | None = None
    spaceport_id: strawberry.ID | None = None


@strawberry.input
class UpdateRocketInput:
    """Changes to a rocket; omitted fields stay as they are."""

    name: str | None = None
    capacity: int | None = None
    range: RocketRange | None = None
    specs: str | None = None


@strawberry.input
class SupplierProfileInput:
    """Changes to the caller's company profile; omitted fields stay as they are."""

    name: str | None = None
    tax_id: str | None = None
    legal_address: str | None = None
    contact_email: str | None = None


@strawberry.input
class ReceivedInvoiceInput:
    """An invoice a supplier sent AstroBookings."""

    supplier_id: strawberry.ID
    number: str
    amount: Decimal
    issue_date: date
    due_date: date
    launch_id: strawberry.ID | None = None


def _launch_page(page: Page[store.Launch]) -> LedgerLaunchConnection:
    return LedgerLaunchConnection(
        nodes=[Launch.from_row(row) for _, row in page.rows], page_info=LedgerPageInfo.of(page)
    )


def _booking_page(page: Page[store.Booking]) -> LedgerBookingConnection:
    return LedgerBookingConnection(
        nodes=[LedgerBooking.from_row(row) for _, row in page.rows],
        page_info=LedgerPageInfo.of(page),
    )


async def my_supplier(info: AdminInfo) -> Supplier:
    identity = info.context.require_scope("supplier:profile")
    return Supplier.from_row(await fleet.own_profile(info.context.db, identity))


async def supplier_launch_page(
    info: AdminInfo,
    first: int = 20,
    after: str | None = None,
    status: LaunchStatus | None = None,
    below_viability_threshold: bool | None = None,
) -> LedgerLaunchConnection:
    identity = info.context.require_scope("launches:own")
    where = views.LaunchFilter(status=status, below_viability_threshold=below_viability_threshold)
    page = await views.launches_page(
        info.context.db, identity, own=True, where=where, first=first, after=after
    )
    return _launch_page(page)


async def supplier_bookings(
    info: AdminInfo,
    first: int = 20,
    after: str | None = None,
    launch_id: strawberry.ID | None = None,
    status: BookingStatus | None = None,
) -> LedgerBookingConnection:
    identity = info.context.require_scope("bookings:supplier")
    where = views.BookingFilter(launch_id=launch_id, status=status)
    page = await views.bookings_page(
        info.context.db, identity, own=True, where=where, first=first, after=after
    )
    return _booking_page(page)


async def launch_manifest(info: AdminInfo, launch_id: strawberry.ID) -> list[LedgerPassenger]:
    identity = info.context.require_any_scope("bookings:supplier", "bookings:read")
    rows = await views.manifest(info.context.db, identity, launch_id)
    return [LedgerPassenger.from_row(row) for row in rows]


async def finance_launches(
    info: AdminInfo,
    first: int = 20,
    after: str | None = None,
    status: LaunchStatus | None = None,
    supplier_id: strawberry.ID | None = None,
    below_viability_threshold: bool | None = None,
) -> LedgerLaunchConnection:
    identity = info.context.require_scope("launches:read")
    where = views.LaunchFilter(
        status=status,
        supplier_id=supplier_id,
        below_viability_threshold=below_viability_threshold,
    )
    page = await views.launches_page(
        info.context.db, identity, own=False, where=where, first=first, after=after
    )
    return _launch_page(page)


async def ledger_bookings(
    info: AdminInfo,
    first: int = 20,
    after: str | None = None,
    launch_id: strawberry.ID | None = None,
    status: BookingStatus | None = None,
    customer: str | None = None,
) -> LedgerBookingConnection:
    identity = info.context.require_scope("bookings:read")
    where = views.BookingFilter(launch_id=launch_id, status=status, customer=customer)
    page = await views.bookings_page(
        info.context.db, identity, own=False, where=where, first=first, after=after
    )
    return _booking_page(page)


async def ledger_booking(info: AdminInfo, id: strawberry.ID) -> LedgerBooking:
    identity = info.context.require_any_scope("bookings:supplier", "bookings:read")
    return LedgerBooking.from_row(await views.booking(info.context.db, identity, id))


async def invoices(
    info: AdminInfo,
    first: int = 20,
    after: str | None = None,
    kind: InvoiceKind | None = None,
    payment_status: InvoiceStatus | None = None,
    year: int | None = None,
    supplier_id: strawberry.ID | None = None,
) -> InvoiceConnection:
    info.context.require_scope("invoices:read")
    where = views.InvoiceFilter(
        kind=kind, payment_status=payment_status, year=year, supplier_id=supplier_id
    )
    page = await views.invoices_page(info.context.db, where, first=first, after=after)
    return InvoiceConnection(
        nodes=[Invoice.from_row(row) for _, row in page.rows], page_info=LedgerPageInfo.of(page)
    )


async def invoice_by_id(info: AdminInfo, id: strawberry.ID) -> Invoice:
    info.context.require_scope("invoices:read")
    return Invoice.from_row(await views.invoice(info.context.db, id))


async def payments(
    info: AdminInfo, first: int = 20, after: str | None = None, status: MoneyStatus | None = None
) -> PaymentConnection:
    info.context.require_scope("invoices:read")
    page = await views.payments_page(info.context.db, status, first=first, after=after)
    return PaymentConnection(
        nodes=[Payment.from_row(row) for _, row in page.rows], page_info=LedgerPageInfo.of(page)
    )


async def refunds(
    info: AdminInfo, first: int = 20, after: str | None = None, status: MoneyStatus | None = None
) -> RefundConnection:
    info.context.require_scope("invoices:read")
    page = await views.refunds_page(info.context.db, status, first=first, after=after)
    return RefundConnection(
        nodes=[Refund.from_row(row) for _, row in page.rows], page_info=LedgerPageInfo.of(page)
    )


async def launch_report(
    info: AdminInfo, supplier_id: strawberry.ID | None = None
) -> list[LaunchReportLine]:
    info.context.require_scope("reports:read")
    owner = parse_id(supplier_id, "supplierId") if supplier_id else None
    lines = await reports.per_launch(info.context.db, owner)
    return [LaunchReportLine.from_line(line) for line in lines]


async def supplier_report(info: AdminInfo) -> list[SupplierReportLine]:
    info.context.require_scope("reports:read")
    return [
        SupplierReportLine.from_line(line) for line in await reports.per_supplier(info.context.db)
    ]


async def year_report(info: AdminInfo, year: int) -> list[YearReportLine]:
    info.context.require_scope("reports:read")
    lines = await reports.year(info.context.db, year)
    return [
        YearReportLine(kind=line.kind, actual=line.actual, pending=line.pending) for line in lines
    ]


async def _launch_changed(info: AdminInfo, parts: resolvers.LaunchParts) -> Launch:
    await resolvers.request_relay(info.context.queue, info.context.settings)
    return Launch.from_row(parts.launch)


async def confirm_launch(info: AdminInfo, id: strawberry.ID) -> Launch:
    identity = info.context.require_scope("launches:own")
    parts = await lifecycle.transition(info.context.db, identity, id, "confirm")
    return await _launch_changed(info, parts)


async def delay_launch(
    info: AdminInfo, id: strawberry.ID, new_launch_date: datetime, reason: str
) -> Launch:
    identity = info.context.require_scope("launches:own")
    parts = await lifecycle.transition(
        info.context.db, identity, id, "delay", reason=reason, new_date=new_launch_date
    )
    return await _launch_changed(info, parts)


async def abort_launch(info: AdminInfo, id: strawberry.ID, reason: str) -> Launch:
    identity = info.context.require_scope("launches:own")
    parts = await lifecycle.transition(info.context.db, identity, id, "abort", reason=reason)
    return await _launch_changed(info, parts)


async def mark_launch_successful(info: AdminInfo, id: strawberry.ID) -> Launch:
    identity = info.context.require_scope("launches:own")
    parts = await lifecycle.transition(info.context.db, identity, id, "succeed")
    return await _launch_changed(info, parts)


async def mark_launch_failed(
    info: AdminInfo, id: strawberry.ID, reason: str | None = None
) -> Launch:
    identity = info.context.require_scope("launches:own")
    parts = await lifecycle.transition(info.context.db, identity, id, "fail", reason=reason)
    return await _launch_changed(info, parts)


async def update_launch(info: AdminInfo, id: strawberry.ID, input: UpdateLaunchInput) -> Launch:
    identity = info.context.require_scope("launches:own")
    edit = lifecycle.LaunchEdit(
        destination=input.destination,
        price_per_seat=input.price_per_seat,
        seats=input.seats,
        spaceport_id=input.spaceport_id,
    )
    parts = await lifecycle.edit_launch(info.context.db, identity, id, edit)
    return await _launch_changed(info, parts)


async def update_rocket(info: AdminInfo, id: strawberry.ID, input: UpdateRocketInput) -> Rocket:
    identity = info.context.require_scope("rockets:own")
    edit = fleet.RocketEdit(
        name=input.name, capacity=input.capacity, range=input.range, specs=input.specs
    )
    return Rocket.from_row(await fleet.update_rocket(info.context.db, identity, id, edit))


async def delete_rocket(info: AdminInfo, id: strawberry.ID) -> Rocket:
    identity = info.context.require_scope("rockets:own")
    return Rocket.from_row(await fleet.delete_rocket(info.context.db, identity, id))


async def update_supplier_profile(info: AdminInfo, input: SupplierProfileInput) -> Supplier:
    identity = info.context.require_scope("supplier:profile")
    edit = fleet.ProfileEdit(
        name=input.name,
        tax_id=input.tax_id,
        legal_address=input.legal_address,
        contact_email=input.contact_email,
    )
    return Supplier.from_row(await fleet.update_profile(info.context.db, identity, edit))


async def finance_cancel_booking(info: AdminInfo, id: strawberry.ID) -> LedgerBooking:
    identity = info.context.require_scope("bookings:write")
    row = await money.cancel_booking(info.context.db, identity, id)
    await resolvers.request_relay(info.context.queue, info.context.settings)
    return LedgerBooking.from_row(row)


async def settle_payment(info: AdminInfo, id: strawberry.ID, status: MoneyStatus) -> Payment:
    identity = info.context.require_scope("payments:write")
    return Payment.from_row(await money.settle_payment(info.context.db, identity, id, status))


async def retry_payment(info: AdminInfo, invoice_id: strawberry.ID) -> Payment:
    identity = info.context.require_scope("payments:write")
    return Payment.from_row(await money.retry_payment(info.context.db, identity, invoice_id))


async def settle_refund(info: AdminInfo, id: strawberry.ID, status: MoneyStatus) -> Refund:
    identity = info.context.require_scope("payments:write")
    return Refund.from_row(await money.settle_refund(info.context.db, identity, id, status))


async def record_received_invoice(info: AdminInfo, input: ReceivedInvoiceInput) -> Invoice:
    identity = info.context.require_scope("invoices:write")
    given = money.ReceivedInvoice(
        supplier_id=input.supplier_id,
        number=input.number,
        amount=input.amount,
        issue_date=input.issue_date,
        due_date=input.due_date,
        launch_id=input.launch_id,
    )
    return Invoice.from_row(await money.record_received_invoice(info.context.db, identity, given))


@strawberry.type
class Query:
    launch: Launch | None = strawberry.field(
        resolver=launch_by_id, description="One launch by id; NOT_FOUND when there is none."
    )
    supplier_launches: list[Launch] = strawberry.federation.field(
        resolver=own_launches,
        requires_scopes=[["launches:own"]],
        description="The calling supplier's own launches, soonest first.",
    )
    rockets: list[Rocket] = strawberry.federation.field(
        resolver=own_rockets,
        requires_scopes=[["rockets:own"]],
        description="The calling supplier's own rockets.",
    )
    spaceports: list[Spaceport] = strawberry.field(
        resolver=every_spaceport, description="Every spaceport (public)."
    )
    suppliers: list[Supplier] = strawberry.federation.field(
        resolver=every_supplier,
        requires_scopes=[["launches:read"]],
        description="Every supplier (finance and admin only).",
    )
    my_supplier: Supplier = strawberry.federation.field(
        resolver=my_supplier,
        requires_scopes=[["supplier:profile"]],
        description="The calling supplier's company profile.",
    )
    supplier_launch_page: LedgerLaunchConnection = strawberry.federation.field(
        resolver=supplier_launch_page,
        requires_scopes=[["launches:own"]],
        description="The calling supplier's launches, soonest first, with filters.",
    )
    supplier_bookings: LedgerBookingConnection = strawberry.federation.field(
        resolver=supplier_bookings,
        requires_scopes=[["bookings:supplier"]],
        description="Bookings of the calling supplier's launches, newest first.",
    )
    launch_manifest: list[LedgerPassenger] = strawberry.federation.field(
        resolver=launch_manifest,
        requires_scopes=BOOKING_READERS,
        description="The passengers of a launch's confirmed bookings (its supplier, finance).",
    )
    finance_launches: LedgerLaunchConnection = strawberry.federation.field(
        resolver=finance_launches,
        requires_scopes=[["launches:read"]],
        description="Every launch, soonest first, with filters (finance).",
    )
    ledger_bookings: LedgerBookingConnection = strawberry.federation.field(
        resolver=ledger_bookings,
        requires_scopes=[["bookings:read"]],
        description="Every ledger booking, newest first; customer matches an id or an email.",
    )
    ledger_booking: LedgerBooking = strawberry.federation.field(
        resolver=ledger_booking,
        requires_scopes=BOOKING_READERS,
        description="One ledger booking by id (finance; a supplier for its own launches).",
    )
    invoices: InvoiceConnection = strawberry.federation.field(
        resolver=invoices,
        requires_scopes=[["invoices:read"]],
        description="Invoices issued and received, newest first.",
    )
    invoice: Invoice = strawberry.federation.field(
        resolver=invoice_by_id,
        requires_scopes=[["invoices:read"]],
        description="One invoice by id (finance); NOT_FOUND when there is none.",
    )
    payments: PaymentConnection = strawberry.federation.field(
        resolver=payments,
        requires_scopes=[["invoices:read"]],
        description="Payments, newest first.",
    )
    refunds: RefundConnection = strawberry.federation.field(
        resolver=refunds,
        requires_scopes=[["invoices:read"]],
        description="Refunds, newest first.",
    )
    launch_report: list[LaunchReportLine] = strawberry.federation.field(
        resolver=launch_report,
        requires_scopes=[["reports:read"]],
        description="Revenue, fees and net per launch.",
    )
    supplier_report: list[SupplierReportLine] = strawberry.federation.field(
        resolver=supplier_report,
        requires_scopes=[["reports:read"]],
        description="Revenue, fees and net per supplier.",
    )
    year_report: list[YearReportLine] = strawberry.federation.field(
        resolver=year_report,
        requires_scopes=[["reports:read"]],
        description="Actual vs pending money in a year, per invoice kind and for refunds.",
    )


@strawberry.type
class Mutation:
    schedule_launch: Launch = strawberry.federation.mutation(
        resolver=schedule_launch,
        requires_scopes=[["launches:own"]],
        description="Schedule a launch on one of the calling supplier's rockets.",
    )
    add_rocket: Rocket = strawberry.federation.mutation(
        resolver=add_rocket,
        requires_scopes=[["rockets:own"]],
        description="Add a rocket to the calling supplier.",
    )
    confirm_launch: Launch = strawberry.federation.mutation(
        resolver=confirm_launch,
        requires_scopes=[["launches:own"]],
        description="SCHEDULED or DELAYED → CONFIRMED.",
    )
    delay_launch: Launch = strawberry.federation.mutation(
        resolver=delay_launch,
        requires_scopes=[["launches:own"]],
        description="Move the launch to a later date (the original date is kept) with a reason.",
    )
    abort_launch: Launch = strawberry.federation.mutation(
        resolver=abort_launch,
        requires_scopes=[["launches:own"]],
        description="Abort with a reason: every active booking is refunded 100 %; the supplier is invoiced 1 000 USD.",
    )
    mark_launch_successful: Launch = strawberry.federation.mutation(
        resolver=mark_launch_successful,
        requires_scopes=[["launches:own"]],
        description="CONFIRMED → SUCCESSFUL, not before the launch date; issues the supplier's fee invoice.",
    )
    mark_launch_failed: Launch = strawberry.federation.mutation(
        resolver=mark_launch_failed,
        requires_scopes=[["launches:own"]],
        description="CONFIRMED → FAILED, not before the launch date.",
    )
    update_launch: Launch = strawberry.federation.mutation(
        resolver=update_launch,
        requires_scopes=[["launches:own"]],
        description="Edit a SCHEDULED launch.",
    )
    update_rocket: Rocket = strawberry.federation.mutation(
        resolver=update_rocket,
        requires_scopes=[["rockets:own"]],
        description="Edit one of the calling supplier's rockets.",
    )
    delete_rocket: Rocket = strawberry.federation.mutation(
        resolver=delete_rocket,
        requires_scopes=[["rockets:own"]],
        description="Delete a rocket; CONFLICT while it has launches not yet flown.",
    )
    update_supplier_profile: Supplier = strawberry.federation.mutation(
        resolver=update_supplier_profile,
        requires_scopes=[["supplier:profile"]],
        description="Edit the calling supplier's company profile.",
    )
    finance_cancel_booking: LedgerBooking = strawberry.federation.mutation(
        resolver=finance_cancel_booking,
        requires_scopes=[["bookings:write"]],
        description="Cancel a booking on the customer's behalf (same refund rules).",
    )
    settle_payment: Payment = strawberry.federation.mutation(
        resolver=settle_payment,
        requires_scopes=[["payments:write"]],
        description="PENDING → COMPLETED (invoice paid) or FAILED.",
    )
    retry_payment: Payment = strawberry.federation.mutation(
        resolver=retry_payment,
        requires_scopes=[["payments:write"]],
        description="A new PENDING payment for an unpaid invoice whose payments failed.",
    )
    settle_refund: Refund = strawberry.federation.mutation(
        resolver=settle_refund,
        requires_scopes=[["payments:write"]],
        description="PENDING → COMPLETED or FAILED.",
    )
    record_received_invoice: Invoice = strawberry.federation.mutation(
        resolver=record_received_invoice,
        requires_scopes=[["invoices:write"]],
        description="Record an invoice received from a supplier.",
    )


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    types=[Launch, Rocket, Supplier, Spaceport, LedgerBooking],
)
