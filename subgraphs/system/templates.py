"""The emails' texts: one subject and body template per kind of notification.

Plain ``string.Template`` text with ``$name`` placeholders; :func:`render` fills them from the
values :mod:`subgraphs.system.notifications` prepares (every value already a readable string).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from string import Template

SIGNATURE = """
--
AstroBookings · seats on rocket launches
You get this email because of your account or a booking with AstroBookings."""


@dataclass(frozen=True, slots=True)
class MailTemplate:
    """A subject line and a body, both ``string.Template`` text."""

    subject: str
    body: str


TEMPLATES: dict[str, MailTemplate] = {
    "booking_confirmed": MailTemplate(
        "Your booking to $destination is confirmed",
        """Hello,

your booking of $seats seat(s) on the launch to $destination on $launch_date is confirmed.
Total: $total. Booking reference: $booking_id.

Your invoice follows in a separate email. Have a good flight!""",
    ),
    "booking_received": MailTemplate(
        "New booking on your launch to $destination",
        """Hello $supplier_name,

a customer booked $seats seat(s) on your launch to $destination on $launch_date
(booking $booking_id, total $total).""",
    ),
    "booking_rejected": MailTemplate(
        "We could not confirm your booking to $destination",
        """Hello,

we are sorry: your booking of $seats seat(s) on the launch to $destination on $launch_date
could not be confirmed.

Reason: $reason

Nothing has been charged and the seats are released. Booking reference: $booking_id.
You are welcome to choose another launch in the catalog.""",
    ),
    "booking_cancelled": MailTemplate(
        "Your booking to $destination is cancelled",
        """Hello,

your booking $booking_id ($seats seat(s) on the launch to $destination on $launch_date) is
cancelled$cancelled_by_text.

Refund: $refund_percent % of the price, $refund_amount. You will get another email once the
refund has been paid out.""",
    ),
    "booking_cancelled_supplier": MailTemplate(
        "A booking on your launch to $destination was cancelled",
        """Hello $supplier_name,

booking $booking_id ($seats seat(s)) on your launch to $destination on $launch_date was
cancelled$cancelled_by_text. Seats back on sale: $seats_released_text.""",
    ),
    "launch_delayed": MailTemplate(
        "Your launch to $destination is delayed to $launch_date",
        """Hello,

the launch to $destination you booked is delayed: it was planned for $previous_launch_date and
is now planned for $launch_date.

Reason given by the operator: $reason

Your booking stays valid. If the new date does not suit you, you can cancel it; the refund
follows the time left before the new date.""",
    ),
    "launch_delayed_supplier": MailTemplate(
        "Your launch to $destination is delayed to $launch_date",
        """Hello $supplier_name,

your launch to $destination is delayed from $previous_launch_date to $launch_date.
Reason: $reason

$customer_count customer(s) with an active booking have been told.""",
    ),
    "launch_aborted": MailTemplate(
        "Your launch to $destination on $launch_date is aborted",
        """Hello,

we are sorry: the launch to $destination on $launch_date you booked has been aborted by its
operator.

Reason: $reason

Your booking is cancelled and the full price is refunded; you will get another email once the
refund has been paid out.""",
    ),
    "launch_aborted_supplier": MailTemplate(
        "Your launch to $destination on $launch_date is aborted",
        """Hello $supplier_name,

your launch to $destination on $launch_date is aborted.
Reason: $reason

Every active booking ($customer_count customer(s)) is cancelled with a full refund, and the
abort fee invoice follows in a separate email.""",
    ),
    "launch_scheduled_vip": MailTemplate(
        "New launch for our VIPs: $destination on $launch_date",
        """Hello,

as one of our most travelled customers you hear it first: a new launch to $destination on
$launch_date is open for booking, from $price_per_seat per seat.

Have a look: launch $slug in the catalog.""",
    ),
    "launch_below_viability": MailTemplate(
        "Your launch to $destination is under $threshold_percent % sold",
        """Hello $supplier_name,

three months before its date ($launch_date), your launch to $destination has sold
$seats_sold of $total_seats seats, under the $threshold_percent % threshold.

You decide whether it flies: you may keep it, or abort it (every booking is then refunded).""",
    ),
    "invoice_issued": MailTemplate(
        "Invoice $number from AstroBookings",
        """Hello $recipient_name,

AstroBookings has issued invoice $number ($kind_text) for $amount on $issue_date.
Please pay it by $due_date.$launch_text""",
    ),
    "refund_processed": MailTemplate(
        "Your refund of $amount has been paid",
        """Hello,

the refund of $amount ($percent % of booking $booking_id, launch to $destination) has been
paid out. It may take a few days to show on your account.""",
    ),
}


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    body: str


def render(kind: str, values: dict[str, str]) -> RenderedMail:
    """The subject and body of ``kind`` with ``values`` filled in (``KeyError`` for an unknown
    kind or a missing value: a template and its values are written together)."""
    template = TEMPLATES[kind]
    return RenderedMail(
        subject=Template(template.subject).substitute(values),
        body=Template(template.body).substitute(values) + "\n" + SIGNATURE + "\n",
    )


def when(value: object) -> str:
    """A date-time from an event (ISO text) as people read it: ``2027-05-01 14:00 UTC``."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed.strftime("%Y-%m-%d %H:%M UTC")
    return "an unknown date"


def day(value: object) -> str:
    """A date from an event (ISO text) as ``1 May 2027``."""
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value[:10])
        except ValueError:
            return value
        return f"{parsed.day} {parsed:%B %Y}"
    return "an unknown date"


def money(value: object, currency: str = "USD") -> str:
    """A decimal amount from an event (a decimal string) as ``USD 1,234.50``."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return f"{currency} {value}"
    return f"{currency} {amount:,.2f}"
