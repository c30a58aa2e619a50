"""Launch scheduled → VIPs: when the catalog takes in a newly scheduled launch, every VIP (a
customer with ``vip_min_trips`` earlier trips, :mod:`subgraphs.customer.profiles`) gets an email.

VIP status lives here, in the customer store, so this side picks the VIPs and asks the system
subgraph's ``notify_event`` job for one ``launch.vip_announcement`` (:mod:`astro.contracts`) per
VIP. The job id and the notification's dedupe key both derive from the ledger's event id and the
customer id, so applying the same event again announces nothing twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from arq.connections import ArqRedis
from pydantic import BaseModel

from astro import outbox
from astro.contracts.launches import LaunchScheduled, VipAnnouncement, VipLaunch
from astro.contracts.parts import Person
from astro.settings import Settings
from subgraphs.customer.profiles import vip_status
from subgraphs.customer.store import ACTIVE_BOOKING_STATUSES, BookingDoc

log = logging.getLogger(__name__)

VIP_ANNOUNCEMENT = VipAnnouncement.TOPIC


class _CustomerLaunch(BaseModel):
    customer_id: str
    launch_id: str


async def vip_customers(settings: Settings, now: datetime) -> list[str]:
    """The ids of every customer who is a VIP at ``now``, sorted."""
    # A trip counts only once its (current) date has passed, and a launch's date only ever moves
    # later: so customers with fewer past-dated booked launches than needed cannot be VIPs.
    past = (
        BookingDoc.find(
            {
                "status": {"$in": [status.value for status in ACTIVE_BOOKING_STATUSES]},
                "launch_date": {"$lt": now},
            }
        )
        .project(_CustomerLaunch)
        .to_list()
    )
    launches: dict[str, set[str]] = {}
    for row in await past:
        launches.setdefault(row.customer_id, set()).add(row.launch_id)
    candidates = sorted(
        customer for customer, ids in launches.items() if len(ids) >= settings.vip_min_trips
    )
    return [
        customer
        for customer in candidates
        if (await vip_status(settings, customer, now)).vip  # the exact rule
    ]


async def announce_to_vips(
    queue: ArqRedis | None, settings: Settings, event: LaunchScheduled
) -> int:
    """For a ``launch.scheduled`` event: queue one announcement per VIP; returns how many were
    asked for (queued now or already remembered by arq)."""
    if queue is None:
        log.warning("launch event %s: no Redis, VIPs not told", event.event_id)
        return 0
    launch = event.launch
    about = VipLaunch(
        id=launch.id,
        slug=launch.slug,
        destination=launch.destination,
        launch_date=launch.launch_date,
        price_per_seat=launch.price_per_seat,
    )
    vips = await vip_customers(settings, datetime.now(UTC))
    for customer_id in vips:
        announcement = VipAnnouncement(
            event_id=event.event_id, customer=Person(id=customer_id), launch=about
        )
        await outbox.publish(
            queue, settings, outbox.Outgoing.of(announcement, recipient=customer_id)
        )
    return len(vips)
