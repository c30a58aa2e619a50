"""The platform log through the gateway: an error logged in the notification worker is shipped,
collected by the system worker and read by IT with the ``logs`` query."""

from __future__ import annotations

import asyncio
import time
import uuid

from arq import create_pool
from arq.connections import RedisSettings

from astro.demo import DEMO_PASSWORD
from astro.settings import Settings
from tests.e2e.conftest import Gateway

LOGS = """
query Logs($contains: String) {
  logs(contains: $contains, first: 5) { nodes { level logger message source host pid } }
}
"""


def _enqueue_unreadable_event(settings: Settings, event_id: str) -> None:
    async def run() -> None:
        assert settings.redis_url
        queue = await create_pool(RedisSettings.from_dsn(settings.redis_url))
        try:
            await queue.enqueue_job(
                "notify_event",
                {"event_id": event_id, "topic": "booking.confirmed"},  # no booking, no customer
                _queue_name=settings.notification_queue,
            )
        finally:
            await queue.aclose()

    asyncio.run(run())


def test_an_error_in_a_worker_reaches_it_through_the_gateway(
    platform: Gateway, settings: Settings
) -> None:
    it = platform.login("it@astrobookings.dev", DEMO_PASSWORD)
    event_id = f"broken-{uuid.uuid4()}"
    _enqueue_unreadable_event(settings, event_id)

    deadline = time.monotonic() + 30
    while True:
        body = platform.post(LOGS, {"contains": event_id}, token=it)
        assert "errors" not in body, body
        if body["data"]["logs"]["nodes"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    [entry] = body["data"]["logs"]["nodes"]
    assert entry["level"] == "ERROR"
    assert entry["source"] == "notifier"
    assert entry["logger"] == "subgraphs.system.jobs"
    assert f"event {event_id} not notified" in entry["message"]
    assert entry["pid"] > 0

    customer = platform.login("customer@astrobookings.dev", DEMO_PASSWORD)
    denied = platform.post(LOGS, {"contains": event_id}, token=customer)
    assert denied.get("data") is None
    assert denied["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


UP = """
query Up {
  logs(minLevel: INFO, contains: "is up", first: 50) { nodes { level logger source message } }
}
"""


def test_every_process_type_reaches_the_platform_log(platform: Gateway) -> None:
    """uvicorn's logging set-up once closed the shipper of the gateway and the subgraphs: their
    warnings and errors reached no one. Each process's "is up" line proves its shipper works
    after its server started."""
    it = platform.login("it@astrobookings.dev", DEMO_PASSWORD)
    expected = {"gateway", "customer", "admin", "system", "worker", "notifier"}
    deadline = time.monotonic() + 30
    while True:
        body = platform.post(UP, token=it)
        assert "errors" not in body, body
        sources = {entry["source"] for entry in body["data"]["logs"]["nodes"]}
        if sources >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert sources >= expected
    assert {entry["logger"] for entry in body["data"]["logs"]["nodes"]} == {"astro.process"}
