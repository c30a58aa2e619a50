"""Launch scheduled → VIPs: the catalog sync asks the notification job for one announcement per
VIP, as the ``launch.vip_announcement`` contract, once however often the event is applied."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings

from astro.contracts.launches import VipAnnouncement
from astro.settings import Settings
from subgraphs.customer.jobs import apply_launch_event
from subgraphs.customer.store import BookingDoc, BookingStatus, PassengerInfo
from tests.subgraphs.customer.conftest import Caller
from tests.subgraphs.customer.factories import launch_event


async def _past_trip(customer: Caller, days_ago: int) -> None:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    await BookingDoc(
        id=str(uuid.uuid4()),
        customer_id=customer.id,
        customer_email=customer.email,
        launch_id=str(uuid.uuid4()),
        launch_slug=f"past-{days_ago}",
        launch_destination="Moon",
        launch_date=when,
        seats=1,
        unit_price=Decimal("1000.00"),
        total=Decimal("1000.00"),
        passengers=[PassengerInfo(name="Ada", date_of_birth=date(1990, 5, 1), email="a@b.c")],
        status=BookingStatus.CONFIRMED,
        created_at=when - timedelta(days=400),
        updated_at=when,
    ).insert()


async def test_a_scheduled_launch_is_announced_to_each_vip_once(
    settings: Settings, customer: Caller, customer_db: Any
) -> None:
    for days_ago in (30, 60):
        await _past_trip(customer, days_ago)
    mail_queue = f"{settings.queue_name}:vip-{uuid.uuid4().hex[:8]}"
    ctx_settings = settings.model_copy(update={"notification_queue_name": mail_queue})
    event = launch_event(price_per_seat="2500.00")
    assert settings.redis_url
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    try:
        for _ in range(2):
            await apply_launch_event({"redis": pool, "settings": ctx_settings}, event)
        queued = {
            job.job_id: job
            for job in await pool.queued_jobs(queue_name=mail_queue)
            if job.job_id and customer.id in job.job_id
        }
    finally:
        await pool.aclose()

    [(job_id, job)] = queued.items()
    assert job_id == f"event:{event['event_id']}:to:{customer.id}"
    assert job.function == "notify_event"
    announcement = VipAnnouncement.model_validate(job.args[0])
    assert announcement.event_id == event["event_id"]
    assert announcement.customer.id == customer.id
    assert announcement.launch.id == event["launch"]["id"]
    assert announcement.launch.price_per_seat == Decimal("2500.00")
