"""The customer subgraph's GraphQL types: the public launch catalog, the customer's bookings and
profile (Federation v2)."""

from __future__ import annotations

import base64
import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry.types import Info

from astro.errors import BadUserInput
from astro.identity import Identity
from subgraphs.customer import booking, cancellation, profiles, resolvers
from subgraphs.customer.booking import BookingRequest
from subgraphs.customer.context import CustomerContext
from subgraphs.customer.store import (
    BookingDoc,
    BookingStatus,
    CatalogFilter,
    CatalogStatus,
    CustomerDoc,
    LaunchDoc,
    PassengerInfo,
)
from subgraphs.serving import SubgraphSchema

# strawberry.enum registers the GraphQL enum on the store's class itself and returns it. No
# description: shared types stay identical to the admin subgraph's, which owns the launch.
strawberry.enum(CatalogStatus, name="LaunchStatus")
LaunchStatus: TypeAlias = CatalogStatus
strawberry.enum(
    BookingStatus,
    description="PENDING until the ledger records the booking, then CONFIRMED or REJECTED.",
)

CustomerInfo: TypeAlias = Info[CustomerContext, None]
# Each field's check is the scope its ``@requiresScopes`` names; which bookings or profile the
# caller then sees is the row-level rule "only their own" (``cancellation.own_booking``,
# ``profiles.profile_of``: both keyed on the caller's user id).
_BOOKINGS_OWN = "bookings:own"
_PROFILE_OWN = "profile:own"
_OWN_BOOKINGS = [[_BOOKINGS_OWN]]
_OWN_PROFILE = [[_PROFILE_OWN]]


def _booker(info: CustomerInfo) -> Identity:
    """The caller of a field on their own bookings (``bookings:own``)."""
    return info.context.require_scope(_BOOKINGS_OWN)


def _profile_owner(info: CustomerInfo) -> Identity:
    """The caller of a field on their own profile (``profile:own``)."""
    return info.context.require_scope(_PROFILE_OWN)


@strawberry.federation.type(keys=["id"])
class Launch:
    """A launch as the public catalog shows it: the admin subgraph owns it, this one adds seats."""

    id: strawberry.ID
    slug: str = strawberry.federation.field(shareable=True)
    seats_left: int = strawberry.field(description="Seats that can still be booked.")
    destination: str = strawberry.federation.field(shareable=True)
    launch_date: datetime = strawberry.federation.field(shareable=True)
    price_per_seat: Decimal = strawberry.federation.field(shareable=True)
    status: LaunchStatus = strawberry.federation.field(shareable=True)

    @classmethod
    def from_document(cls, launch: LaunchDoc) -> Launch:
        """The GraphQL view of a catalog entry."""
        return cls(
            id=strawberry.ID(launch.id),
            slug=launch.slug,
            seats_left=launch.seats_left,
            destination=launch.destination,
            launch_date=launch.launch_date,
            price_per_seat=launch.price_per_seat,
            status=launch.status,
        )

    @classmethod
    async def resolve_reference(cls, info: CustomerInfo, id: strawberry.ID) -> Launch | None:
        """The catalog view of launch ``id``; null when the catalog does not hold it (yet)."""
        launch = await resolvers.launch_loader(info.context).load(str(id))
        return cls.from_document(launch) if launch is not None else None


def _given(value: Decimal | None) -> Decimal | None:
    return None if value is strawberry.UNSET else value


@strawberry.input(description="Narrows the catalog; every criterion given must hold.")
class LaunchFilter:
    destination: str | None = strawberry.UNSET
    date_from: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Launch on or after."
    )
    date_to: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Launch on or before."
    )
    min_price: Decimal | None = strawberry.UNSET
    max_price: Decimal | None = strawberry.UNSET
    range_class: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The rocket's range: SUBORBITAL, LEO or INTERPLANETARY.",
    )
    spaceport: str | None = strawberry.field(
        default=strawberry.UNSET, description="Spaceport code or id."
    )
    search: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Words that must each appear in the destination, rocket or supplier name.",
    )

    def to_store(self, destination: str | None = None) -> CatalogFilter:
        return CatalogFilter(
            destination=destination or self.destination or None,
            date_from=self.date_from or None,
            date_to=self.date_to or None,
            min_price=_given(self.min_price),
            max_price=_given(self.max_price),
            range_class=self.range_class or None,
            spaceport=self.spaceport or None,
            search=(self.search or "").strip() or None,
        )


@strawberry.type
class LaunchEdge:
    cursor: str
    node: Launch


@strawberry.type
class LaunchPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of the catalog; pass `pageInfo.endCursor` as `after`.")
class LaunchConnection:
    edges: list[LaunchEdge]
    page_info: LaunchPageInfo


@strawberry.type
class BookingPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(
    description="A page of the caller's bookings; pass `pageInfo.endCursor` as `after`."
)
class BookingConnection:
    nodes: list[Booking]
    page_info: BookingPageInfo


@strawberry.type
class Passenger:
    name: str
    date_of_birth: date
    email: str


@strawberry.input(description="One passenger per seat, aged 18 to 70 on the launch date.")
class PassengerInput:
    name: str
    date_of_birth: date
    email: str


@strawberry.input
class BookSeatsInput:
    launch_id: strawberry.ID
    passengers: list[PassengerInput]


@strawberry.type(description="The refund of a cancelled booking.")
class BookingRefund:
    percent: int
    amount: Decimal
    seats_released: bool
    cancelled_by: str | None


@strawberry.type(description="What cancelling the booking now would refund.")
class RefundQuote:
    booking_id: strawberry.ID
    launch_date: datetime
    percent: int
    amount: Decimal
    seats_released: bool = strawberry.field(
        description="Whether the seats go back on sale (not when nothing is refunded)."
    )


async def _booking_launch(root: Booking, info: CustomerInfo) -> Launch:
    found = await resolvers.launch_loader(info.context).load(root.launch_id)
    if found is not None:
        return Launch.from_document(found)
    # A launch the catalog never received (e.g. a past demo launch): as it was booked.
    doc = root.snapshot
    flown = doc.launch_date <= datetime.now(UTC)
    return Launch(
        id=strawberry.ID(doc.launch_id),
        slug=doc.launch_slug,
        seats_left=0,
        destination=doc.launch_destination,
        launch_date=doc.launch_date,
        price_per_seat=doc.unit_price,
        status=CatalogStatus.SUCCESSFUL if flown else CatalogStatus.SCHEDULED,
    )


@strawberry.federation.type(keys=["id"], description="A customer's booking of seats on a launch.")
class Booking:
    id: strawberry.ID
    status: BookingStatus
    seats: int
    unit_price: Decimal
    total: Decimal
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    passengers: list[Passenger]
    refund: BookingRefund | None
    rejection_reason: str | None
    launch_id: strawberry.Private[str]
    snapshot: strawberry.Private[BookingDoc]

    @classmethod
    def from_document(cls, doc: BookingDoc) -> Booking:
        refund = None
        if doc.refund_percent is not None and doc.refund_amount is not None:
            refund = BookingRefund(
                percent=doc.refund_percent,
                amount=doc.refund_amount,
                seats_released=doc.seats_released,
                cancelled_by=doc.cancelled_by,
            )
        return cls(
            id=strawberry.ID(doc.id),
            status=doc.status,
            seats=doc.seats,
            unit_price=doc.unit_price,
            total=doc.total,
            created_at=doc.created_at,
            confirmed_at=doc.confirmed_at,
            cancelled_at=doc.cancelled_at,
            passengers=[
                Passenger(name=p.name, date_of_birth=p.date_of_birth, email=p.email)
                for p in doc.passengers
            ],
            refund=refund,
            rejection_reason=doc.rejection_reason,
            launch_id=doc.launch_id,
            snapshot=doc,
        )

    launch: Launch = strawberry.field(
        resolver=_booking_launch, description="The launch with its current status and date."
    )

    @classmethod
    async def resolve_reference(cls, info: CustomerInfo, id: strawberry.ID) -> Booking | None:
        """The booking, for its own customer only."""
        identity = info.context.identity
        found = await BookingDoc.get(str(id))
        if identity is None or found is None or found.customer_id != identity.sub:
            return None
        return cls.from_document(found)


@strawberry.federation.type(keys=["id"], description="A customer's profile; id is the user id.")
class Customer:
    id: strawberry.ID
    email: str
    full_name: str | None
    phone: str | None
    tax_id: str | None
    legal_address: str | None
    vip: bool = strawberry.field(description="At least `vip_min_trips` earlier trips.")
    earlier_trips: int
    max_seats_per_launch: int

    @classmethod
    async def build(cls, info: CustomerInfo, doc: CustomerDoc) -> Customer:
        status = await profiles.vip_status(info.context.settings, doc.id)
        return cls(
            id=strawberry.ID(doc.id),
            email=doc.email,
            full_name=doc.full_name,
            phone=doc.phone,
            tax_id=doc.tax_id,
            legal_address=doc.legal_address,
            vip=status.vip,
            earlier_trips=status.earlier_trips,
            max_seats_per_launch=status.max_seats_per_launch,
        )

    @classmethod
    async def resolve_reference(cls, info: CustomerInfo, id: strawberry.ID) -> Customer | None:
        """The profile, for the customer themself only."""
        identity = info.context.identity
        if identity is None or identity.sub != str(id):
            return None
        return await cls.build(info, await profiles.profile_of(identity))


@strawberry.input(description="Profile fields to change; a field left out stays as it is.")
class CustomerProfileInput:
    email: str | None = strawberry.UNSET
    full_name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    tax_id: str | None = strawberry.UNSET
    legal_address: str | None = strawberry.UNSET


@strawberry.enum
class BookingPeriod(enum.Enum):
    UPCOMING = "UPCOMING"
    PAST = "PAST"
    ALL = "ALL"


async def _catalog_page(
    info: CustomerInfo,
    catalog_filter: LaunchFilter | None,
    first: int | None,
    after: str | None,
    destination: str | None = None,
) -> resolvers.CatalogPage:
    return await resolvers.catalog_page(
        info.context,
        catalog_filter=(catalog_filter or LaunchFilter()).to_store(destination),
        first=20 if first is None else first,
        after=after or None,
    )


async def _launches(
    info: CustomerInfo,
    destination: str | None = strawberry.UNSET,
    first: int | None = 20,
    after: str | None = strawberry.UNSET,
    filter: LaunchFilter | None = strawberry.UNSET,
) -> list[Launch]:
    page = await _catalog_page(info, filter or None, first, after or None, destination or None)
    return [Launch.from_document(launch) for launch in page.launches]


async def _catalog(
    info: CustomerInfo,
    filter: LaunchFilter | None = strawberry.UNSET,
    first: int | None = 20,
    after: str | None = strawberry.UNSET,
) -> LaunchConnection:
    page = await _catalog_page(info, filter or None, first, after or None)
    edges = [
        LaunchEdge(cursor=resolvers.encode_cursor(launch), node=Launch.from_document(launch))
        for launch in page.launches
    ]
    return LaunchConnection(
        edges=edges,
        page_info=LaunchPageInfo(
            has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
        ),
    )


async def _launch_by_slug(info: CustomerInfo, slug: str) -> Launch | None:
    return Launch.from_document(await resolvers.launch_by_slug(info.context, slug))


MAX_BOOKINGS_PAGE = 100


def _booking_cursor(booking_id: str) -> str:
    return base64.urlsafe_b64encode(booking_id.encode()).decode()


def _after_cursor(ordered: list[BookingDoc], after: str) -> list[BookingDoc]:
    """The bookings after the one ``after`` names (the order is recomputed each time, from the
    launches' current dates: a cursor names a booking, not a position)."""
    try:
        booking_id = base64.urlsafe_b64decode(after.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        booking_id = ""
    for index, doc in enumerate(ordered):
        if str(doc.id) == booking_id:
            return ordered[index + 1 :]
    raise BadUserInput(
        "`after` is not a cursor of this list: pass the `pageInfo.endCursor` of a page of "
        "myBookings, or leave it out for the first page."
    )


async def _my_bookings(
    info: CustomerInfo,
    period: BookingPeriod = BookingPeriod.ALL,
    first: int = 20,
    after: str | None = None,
) -> BookingConnection:
    if not 1 <= first <= MAX_BOOKINGS_PAGE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_BOOKINGS_PAGE}.")
    identity = _booker(info)
    docs = await BookingDoc.find({"customer_id": identity.sub}).to_list()
    loader = resolvers.launch_loader(info.context)
    launches = await loader.load_many([doc.launch_id for doc in docs])
    now = datetime.now(UTC)
    dated = [
        (launch.launch_date if launch is not None else doc.launch_date, doc)
        for doc, launch in zip(docs, launches, strict=True)
    ]
    upcoming = sorted(((d, b) for d, b in dated if d > now), key=lambda item: (item[0], item[1].id))
    past = sorted(
        ((d, b) for d, b in dated if d <= now), key=lambda item: (item[0], item[1].id), reverse=True
    )
    chosen = {
        BookingPeriod.UPCOMING: upcoming,
        BookingPeriod.PAST: past,
        BookingPeriod.ALL: upcoming + past,
    }[period]
    ordered = [doc for _, doc in chosen]
    if after:
        ordered = _after_cursor(ordered, after)
    page = ordered[:first]
    return BookingConnection(
        nodes=[Booking.from_document(doc) for doc in page],
        page_info=BookingPageInfo(
            has_next_page=len(ordered) > first,
            end_cursor=_booking_cursor(str(page[-1].id)) if page else None,
        ),
    )


async def _booking(info: CustomerInfo, id: strawberry.ID) -> Booking:
    return Booking.from_document(await cancellation.own_booking(_booker(info), str(id)))


async def _refund_quote(info: CustomerInfo, booking_id: strawberry.ID) -> RefundQuote:
    quote = await cancellation.refund_quote(_booker(info), str(booking_id))
    return RefundQuote(
        booking_id=strawberry.ID(quote.booking_id),
        launch_date=quote.launch_date,
        percent=quote.percent,
        amount=quote.amount,
        seats_released=quote.seats_released,
    )


async def _customer_profile(info: CustomerInfo) -> Customer:
    return await Customer.build(info, await profiles.profile_of(_profile_owner(info)))


@strawberry.type
class Query:
    launches: list[Launch] = strawberry.field(
        resolver=_launches,
        description=(
            "Upcoming launches that can be booked (scheduled, confirmed or delayed, with free "
            "seats), soonest first. `first` is 1..100; `after` continues after a launch: its "
            "cursor is the base64 of `<launchDate>|<id>` of the previous page's last launch."
        ),
    )
    catalog: LaunchConnection = strawberry.field(
        resolver=_catalog,
        description="The bookable launches as a cursor connection, filtered, soonest first.",
    )
    launch_by_slug: Launch | None = strawberry.field(
        resolver=_launch_by_slug,
        description="The launch with this slug; a NOT_FOUND error if there is none.",
    )
    my_bookings: BookingConnection = strawberry.federation.field(
        resolver=_my_bookings,
        authenticated=True,
        requires_scopes=_OWN_BOOKINGS,
        description=(
            "The caller's bookings: upcoming soonest first, then past latest first; `first` is "
            "1..100, `after` a previous page's `pageInfo.endCursor`."
        ),
    )
    booking: Booking = strawberry.federation.field(
        resolver=_booking, authenticated=True, requires_scopes=_OWN_BOOKINGS
    )
    refund_quote: RefundQuote = strawberry.federation.field(
        resolver=_refund_quote,
        authenticated=True,
        requires_scopes=_OWN_BOOKINGS,
        description="What `cancelBooking` would refund now, by the launch's current date.",
    )
    customer_profile: Customer = strawberry.federation.field(
        resolver=_customer_profile, authenticated=True, requires_scopes=_OWN_PROFILE
    )


async def _book_seats(info: CustomerInfo, input: BookSeatsInput) -> Booking:
    identity = _booker(info)
    request = BookingRequest(
        launch_id=str(input.launch_id),
        passengers=[
            PassengerInfo(name=p.name, date_of_birth=p.date_of_birth, email=p.email.strip())
            for p in input.passengers
        ],
    )
    doc = await booking.book_seats(info.context.settings, identity, request)
    await info.context.request_relay()
    return Booking.from_document(doc)


async def _cancel_booking(info: CustomerInfo, booking_id: strawberry.ID) -> Booking:
    doc = await cancellation.cancel_booking(_booker(info), str(booking_id))
    await info.context.request_relay()
    return Booking.from_document(doc)


async def _update_customer_profile(info: CustomerInfo, input: CustomerProfileInput) -> Customer:
    changes = {name: value for name, value in vars(input).items() if value is not strawberry.UNSET}
    return await Customer.build(info, await profiles.update_profile(_profile_owner(info), changes))


@strawberry.type
class Mutation:
    book_seats: Booking = strawberry.federation.mutation(
        resolver=_book_seats,
        authenticated=True,
        requires_scopes=_OWN_BOOKINGS,
        description="Book one seat per passenger; the booking is PENDING until the ledger confirms.",
    )
    cancel_booking: Booking = strawberry.federation.mutation(
        resolver=_cancel_booking,
        authenticated=True,
        requires_scopes=_OWN_BOOKINGS,
        description="Cancel a booking with the refund `refundQuote` shows.",
    )
    update_customer_profile: Customer = strawberry.federation.mutation(
        resolver=_update_customer_profile, authenticated=True, requires_scopes=_OWN_PROFILE
    )


schema = SubgraphSchema(query=Query, mutation=Mutation)
