"""Which arq jobs take which messages, on which queue, under which job id.

A job is named here, once, by the subgraph that sends to it; it is run by the subgraph that owns
it (``subgraphs/<name>/jobs.py`` registers it under the same constant). Subgraphs never import one
another: this module is what they share instead.
"""

from __future__ import annotations

from astro.contracts.bookings import (
    BookingCancelled,
    BookingConfirmed,
    BookingRejected,
    BookingRequested,
    CancelRequested,
)
from astro.contracts.finance import InvoiceIssued, RefundProcessed
from astro.contracts.launches import (
    LaunchScheduled,
    LaunchUpdated,
    ViabilityFlagged,
    VipAnnouncement,
)
from astro.settings import Settings

# Admin subgraph (the ledger).
RECORD_BOOKING = "record_booking"
RECORD_CANCELLATION = "record_cancellation"
# Customer subgraph (the catalog and the customers' bookings).
APPLY_LAUNCH_EVENT = "apply_launch_event"
APPLY_BOOKING_EVENT = "apply_booking_event"
# System subgraph (the emails), on the notification queue.
NOTIFY_EVENT = "notify_event"

# Topic → the jobs its message goes to, the first one the topic's primary consumer (its job id
# is the bare ``event:<event id>``). An outbox relay leaves a topic not listed here unpublished.
TOPIC_JOBS: dict[str, tuple[str, ...]] = {
    LaunchScheduled.TOPIC: (APPLY_LAUNCH_EVENT,),
    LaunchUpdated.TOPIC: (APPLY_LAUNCH_EVENT, NOTIFY_EVENT),
    BookingConfirmed.TOPIC: (APPLY_BOOKING_EVENT, NOTIFY_EVENT),
    BookingRejected.TOPIC: (APPLY_BOOKING_EVENT, NOTIFY_EVENT),
    BookingCancelled.TOPIC: (APPLY_BOOKING_EVENT, NOTIFY_EVENT),
    ViabilityFlagged.TOPIC: (NOTIFY_EVENT,),
    InvoiceIssued.TOPIC: (NOTIFY_EVENT,),
    RefundProcessed.TOPIC: (NOTIFY_EVENT,),
    BookingRequested.TOPIC: (RECORD_BOOKING,),
    CancelRequested.TOPIC: (RECORD_CANCELLATION,),
    VipAnnouncement.TOPIC: (NOTIFY_EVENT,),
}

# Jobs on ``settings.notification_queue``: a rush of emails never holds up the booking sync.
NOTIFICATION_JOBS = frozenset({NOTIFY_EVENT})


def queue_for(job: str, settings: Settings) -> str:
    """The arq queue of ``job``."""
    return settings.notification_queue if job in NOTIFICATION_JOBS else settings.queue_name


def job_id(
    topic: str,
    event_id: object,
    job: str,
    *,
    publication: int | str = 0,
    recipient: str | None = None,
) -> str:
    """The arq job id of message ``event_id`` (of ``topic``) sent to ``job``.

    ``event:<event id>`` for the topic's primary consumer, ``event:<event id>:<job>`` for the
    others; then ``:<publication>`` for a publication after the first (arq refuses an id whose
    job, failed or not, it still remembers) and ``:to:<recipient>`` for one job per recipient.
    The same message, consumer and publication always make the same id, so a relay repeated after
    a crash never doubles a job while arq remembers it; the consumer's own event-id check covers
    the time after.
    """
    parts = ["event", str(event_id)]
    if job != TOPIC_JOBS.get(topic, (job,))[0]:
        parts.append(job)
    if publication:
        parts.append(str(publication))
    if recipient is not None:
        parts += ["to", recipient]
    return ":".join(parts)
