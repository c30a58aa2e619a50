"""Notifications: events become emails (each once), sent over real SMTP, retried with backoff,
given up to FAILED, resent by IT; who may see which."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from astro.identity import issue_access_token
from astro.settings import Settings
from astroctl.mailsink import MailSink
from subgraphs.system.store import NotificationDocument, NotificationStatus, utcnow
from tests.subgraphs.system.conftest import Client, Jobs
from tests.subgraphs.system.test_accounts import new_email, register

FIELDS = """id kind status subject body recipientEmail recipientUserId bookingId launchId
  attemptCount attempts { at ok error round } sentAt failedAt"""
MY_NOTIFICATIONS = f"{{ myNotifications {{ nodes {{ {FIELDS} }} }} }}"
NOTIFICATIONS = f"""
query($status: NotificationStatus, $recipient: String) {{
  notifications(status: $status, recipient: $recipient, first: 200) {{ nodes {{ {FIELDS} }} }}
}}"""
RESEND = f"mutation($id: ID!) {{ resendNotification(id: $id) {{ {FIELDS} }} }}"
REFUSAL = "451 4.3.0 Mail server busy, try again later"


def token(settings: Settings, role: str, user_id: str | None = None) -> str:
    sub = user_id or str(uuid.uuid4())
    return issue_access_token(
        settings, sub=sub, email=f"{role}-{sub[:8]}@example.com", roles=[role]
    )


def launch(destination: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "slug": "lunar-orbit-2027",
        "destination": destination or f"Lunar Orbit {uuid.uuid4().hex[:6]}",
        "launch_date": "2027-05-01T14:00:00+00:00",
        "status": "SCHEDULED",
    }


def supplier(email: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "name": "Orbital Horizons",
        "contact_email": email or f"ops-{uuid.uuid4().hex[:6]}@suppliers.example",
        "user_id": str(uuid.uuid4()),
    }


def rejected_event(customer_id: str, email: str | None) -> dict[str, Any]:
    """``booking.rejected`` as the ledger's outbox publishes it."""
    flight = launch()
    return {
        "event_id": str(uuid.uuid4()),
        "topic": "booking.rejected",
        "booking_id": str(uuid.uuid4()),
        "launch_id": flight["id"],
        "seats": 2,
        "reason": "The launch is ABORTED and takes no more bookings.",
        "customer": {"id": customer_id, "email": email},
        "launch": flight,
    }


def confirmed_event(customer_id: str, email: str, contact: dict[str, Any]) -> dict[str, Any]:
    flight = launch()
    return {
        "event_id": str(uuid.uuid4()),
        "topic": "booking.confirmed",
        "booking_id": str(uuid.uuid4()),
        "launch_id": flight["id"],
        "seats": 2,
        "total": "2501.00",
        "customer": {"id": customer_id, "email": email},
        "launch": flight,
        "supplier": contact,
    }


async def notified(jobs: Jobs, event: dict[str, Any], job_id: str | None = None) -> None:
    await jobs.enqueue("notify_event", event, job_id=job_id or f"test:{uuid.uuid4()}")
    await jobs.run()


async def stored(system_db: Any, **query: Any) -> list[dict[str, Any]]:
    return [doc async for doc in system_db.notifications.find(query).sort("created_at", 1)]


async def test_rejected_booking_emails_the_customer(
    gql: Client, jobs: Jobs, mail_sink: MailSink, system_db: Any, system_settings: Settings
) -> None:
    account = await register(gql, new_email())
    user = account["user"]
    # The event names no email: the customer's account gives it.
    event = rejected_event(user["id"], None)

    await notified(jobs, event)

    [mail] = mail_sink.received(to=user["email"])
    assert mail.subject == f"We could not confirm your booking to {event['launch']['destination']}"
    assert "The launch is ABORTED and takes no more bookings." in mail.body
    assert "2027-05-01 14:00 UTC" in mail.body and event["booking_id"] in mail.body
    assert mail.mail_from == "notifications@astrobookings.dev"
    [doc] = await stored(system_db, event_id=event["event_id"])
    assert mail.notification_id == doc["_id"]
    assert (doc["kind"], doc["status"], doc["recipient_user_id"]) == (
        "booking_rejected",
        "SENT",
        user["id"],
    )
    assert [attempt["ok"] for attempt in doc["attempts"]] == [True]
    mine = await gql(MY_NOTIFICATIONS, token=account["accessToken"])
    assert mine.errors == []
    [listed] = mine.data["myNotifications"]["nodes"]
    assert (listed["kind"], listed["status"], listed["bookingId"], listed["attemptCount"]) == (
        "booking_rejected",
        "SENT",
        event["booking_id"],
        1,
    )


async def test_an_event_handled_twice_makes_each_email_once(
    jobs: Jobs, mail_sink: MailSink, system_db: Any
) -> None:
    customer_email, contact = new_email(), supplier()
    event = confirmed_event(str(uuid.uuid4()), customer_email, contact)

    # Two runs of the same event (a re-relay after arq forgot the first job), one after the other
    # and then two side by side.
    await notified(jobs, event)
    await jobs.enqueue("notify_event", event, job_id=f"again:{uuid.uuid4()}")
    await jobs.enqueue("notify_event", event, job_id=f"again:{uuid.uuid4()}")
    await jobs.run()

    docs = await stored(system_db, event_id=event["event_id"])
    assert sorted((doc["kind"], doc["recipient_email"]) for doc in docs) == [
        ("booking_confirmed", customer_email),
        ("booking_received", contact["contact_email"]),
    ]
    assert len(mail_sink.received(to=customer_email)) == 1
    [supplier_mail] = mail_sink.received(to=contact["contact_email"])
    assert supplier_mail.subject.startswith("New booking on your launch to Lunar Orbit")
    assert "Hello Orbital Horizons" in supplier_mail.body


async def test_failed_delivery_is_retried_with_backoff_then_marked_failed(
    jobs: Jobs, mail_sink: MailSink, system_db: Any, system_settings: Settings
) -> None:
    email = new_email()
    event = rejected_event(str(uuid.uuid4()), email)
    mail_sink.refuse = REFUSAL
    refused_before = mail_sink.refused
    try:
        await notified(jobs, event)
    finally:
        mail_sink.refuse = None

    [doc] = await stored(system_db, event_id=event["event_id"])
    assert doc["status"] == "FAILED" and doc["failed_at"] is not None
    attempts = doc["attempts"]
    assert len(attempts) == system_settings.notification_max_attempts == 3
    assert mail_sink.refused - refused_before == 3
    assert all(not attempt["ok"] and "451" in attempt["error"] for attempt in attempts)
    gaps = [
        (later["at"] - earlier["at"]).total_seconds()
        for earlier, later in itertools.pairwise(attempts)
    ]
    # 0.05 s, then 0.1 s (doubling), give or take MongoDB's millisecond clock.
    assert gaps[0] >= 0.04 and gaps[1] >= 0.09, gaps
    assert mail_sink.received(to=email) == []


async def test_a_delivery_refused_once_goes_out_on_the_retry(
    jobs: Jobs, mail_sink: MailSink, system_db: Any
) -> None:
    email = new_email()
    event = rejected_event(str(uuid.uuid4()), email)
    refused_before = mail_sink.refused
    mail_sink.refuse = REFUSAL
    await jobs.enqueue("notify_event", event, job_id=f"test:{uuid.uuid4()}")
    running = asyncio.create_task(jobs.run())
    try:
        for _ in range(500):
            if mail_sink.refused > refused_before:
                break
            await asyncio.sleep(0.01)
    finally:
        mail_sink.refuse = None
    await running

    [doc] = await stored(system_db, event_id=event["event_id"])
    assert doc["status"] == "SENT"
    assert [attempt["ok"] for attempt in doc["attempts"]] == [False, True]
    assert len(mail_sink.received(to=email)) == 1


async def test_it_can_resend_a_failed_notification(
    gql: Client, jobs: Jobs, mail_sink: MailSink, system_db: Any, system_settings: Settings
) -> None:
    email = new_email()
    event = rejected_event(str(uuid.uuid4()), email)
    mail_sink.refuse = REFUSAL
    try:
        await notified(jobs, event)
    finally:
        mail_sink.refuse = None
    [failed] = await stored(system_db, event_id=event["event_id"])
    assert failed["status"] == "FAILED"
    it = token(system_settings, "it")

    resent = await gql(RESEND, {"id": failed["_id"]}, token=it)
    again = await gql(RESEND, {"id": failed["_id"]}, token=it)
    await jobs.run()

    assert resent.errors == []
    assert resent.data["resendNotification"]["status"] == "PENDING"
    assert again.codes == ["CONFLICT"]  # already waiting for delivery
    assert again.errors[0]["extensions"]["currentStatus"] == "PENDING"
    [doc] = await stored(system_db, event_id=event["event_id"])
    assert doc["status"] == "SENT" and doc["round"] == 1
    assert [(attempt["round"], attempt["ok"]) for attempt in doc["attempts"]] == [
        (0, False),
        (0, False),
        (0, False),
        (1, True),
    ]
    [mail] = mail_sink.received(to=email)
    assert mail.notification_id == failed["_id"]
    listed = await gql(NOTIFICATIONS, {"recipient": email}, token=it)
    assert [item["status"] for item in listed.data["notifications"]["nodes"]] == ["SENT"]
    assert listed.data["notifications"]["nodes"][0]["attemptCount"] == 4


async def test_resend_of_an_unknown_notification_is_not_found_and_only_it_may_resend(
    gql: Client, system_settings: Settings
) -> None:
    unknown = await gql(RESEND, {"id": str(uuid.uuid4())}, token=token(system_settings, "it"))
    by_customer = await gql(
        RESEND, {"id": str(uuid.uuid4())}, token=token(system_settings, "customer")
    )
    by_visitor = await gql(RESEND, {"id": str(uuid.uuid4())})
    listing = await gql(NOTIFICATIONS, token=token(system_settings, "finance"))

    assert unknown.codes == ["NOT_FOUND"]
    assert by_customer.codes == ["FORBIDDEN"]
    assert by_visitor.codes == ["UNAUTHENTICATED"]
    assert listing.codes == ["FORBIDDEN"]


async def test_customer_sees_only_own_notifications(
    gql: Client, jobs: Jobs, system_settings: Settings
) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    for customer in (alice, alice, bob):
        await jobs.enqueue(
            "notify_event", rejected_event(customer, new_email()), job_id=f"test:{uuid.uuid4()}"
        )
    await jobs.run()

    alices = await gql(MY_NOTIFICATIONS, token=token(system_settings, "customer", alice))
    bobs = await gql(MY_NOTIFICATIONS, token=token(system_settings, "customer", bob))
    nobody = await gql(MY_NOTIFICATIONS, token=token(system_settings, "customer"))
    visitor = await gql(MY_NOTIFICATIONS)

    assert {item["recipientUserId"] for item in alices.data["myNotifications"]["nodes"]} == {alice}
    assert len(alices.data["myNotifications"]["nodes"]) == 2
    assert [item["recipientUserId"] for item in bobs.data["myNotifications"]["nodes"]] == [bob]
    assert nobody.data["myNotifications"]["nodes"] == []
    assert visitor.codes == ["UNAUTHENTICATED"]


async def test_it_lists_notifications_by_status_and_recipient(
    gql: Client, jobs: Jobs, mail_sink: MailSink, system_settings: Settings
) -> None:
    customer, email = str(uuid.uuid4()), new_email()
    await notified(jobs, rejected_event(customer, email))
    mail_sink.refuse = REFUSAL
    try:
        await notified(jobs, rejected_event(customer, email))
    finally:
        mail_sink.refuse = None
    it = token(system_settings, "it")

    by_id = await gql(NOTIFICATIONS, {"recipient": customer}, token=it)
    by_email_failed = await gql(
        NOTIFICATIONS, {"recipient": email.upper(), "status": "FAILED"}, token=it
    )
    page = await gql("{ notifications(first: 0) { nodes { id } } }", token=it)

    assert sorted(item["status"] for item in by_id.data["notifications"]["nodes"]) == [
        "FAILED",
        "SENT",
    ]
    [failed] = by_email_failed.data["notifications"]["nodes"]
    assert failed["status"] == "FAILED" and failed["failedAt"] is not None
    assert page.codes == ["BAD_USER_INPUT"]


async def test_a_delay_or_abort_tells_every_customer_with_an_active_booking_and_the_supplier(
    jobs: Jobs, mail_sink: MailSink, system_db: Any
) -> None:
    customers = [(str(uuid.uuid4()), new_email()) for _ in range(2)]
    contact = supplier()
    flight = launch("Mars Transfer") | {"status": "DELAYED"}
    # What the catalog needs too: a launch.updated carries the launch's full snapshot.
    snapshot = {
        "version": 3,
        "seats_sold": 3,
        "total_seats": 10,
        "price_per_seat": "1000.00",
        "rocket": {"id": str(uuid.uuid4()), "name": "Ares V", "capacity": 12, "range": "LEO"},
        "supplier": {"id": contact["id"], "name": contact["name"]},
        "spaceport": {"id": str(uuid.uuid4()), "code": "KSC", "name": "Kennedy", "location": "FL"},
    }

    def updated(action: str) -> dict[str, Any]:
        return {
            "event_id": str(uuid.uuid4()),
            "topic": "launch.updated",
            "launch": flight | snapshot,
            "supplier_contact": contact,
            "change": {
                "action": action,
                "from_status": "SCHEDULED",
                "reason": "Weather over the range",
                "previous_launch_date": "2027-04-01T14:00:00+00:00",
            },
            "active_customers": [{"id": cid, "email": mail} for cid, mail in customers],
        }

    delayed, aborted, edited = updated("delay"), updated("abort"), updated("edit")
    cancelled_by_abort = {
        "event_id": str(uuid.uuid4()),
        "topic": "booking.cancelled",
        "booking_id": str(uuid.uuid4()),
        "launch_id": flight["id"],
        "seats": 1,
        "seats_released": True,
        "refund_percent": 100,
        "refund_amount": "1000.00",
        "cancelled_by": "abort",
        "customer": {"id": customers[0][0], "email": customers[0][1]},
        "launch": flight,
        "supplier": contact,
    }
    for event in (delayed, aborted, edited, cancelled_by_abort):
        await jobs.enqueue("notify_event", event, job_id=f"test:{uuid.uuid4()}")
    await jobs.run()

    def kinds(event: dict[str, Any]) -> list[tuple[str, str]]:
        return sorted(
            (doc["kind"], doc["recipient_email"])
            for doc in docs
            if doc["event_id"] == event["event_id"]
        )

    docs = await stored(system_db, launch_id=flight["id"])
    for event, kind in ((delayed, "launch_delayed"), (aborted, "launch_aborted")):
        assert kinds(event) == sorted(
            [(kind, mail) for _, mail in customers]
            + [(f"{kind}_supplier", contact["contact_email"])]
        )
    assert kinds(edited) == [] and kinds(cancelled_by_abort) == []
    [delay_mail] = [
        mail
        for mail in mail_sink.received(to=customers[0][1])
        if mail.subject.startswith("Your launch to Mars Transfer is delayed")
    ]
    assert "2027-04-01 14:00 UTC" in delay_mail.body and "Weather over the range" in delay_mail.body


async def test_a_lost_delivery_job_is_queued_again_by_the_redrive(
    jobs: Jobs, mail_sink: MailSink, system_db: Any
) -> None:
    email = new_email()
    overdue = utcnow() - timedelta(minutes=5)
    doc = NotificationDocument(
        dedupe_key=f"test:{uuid.uuid4()}",
        kind="booking_rejected",
        recipient_email=email,
        subject="Lost and found",
        body="Its delivery job never ran.",
        created_at=overdue,
        next_attempt_at=overdue,
    )
    await doc.insert()

    await jobs.enqueue("redrive_notifications", job_id=f"test:{uuid.uuid4()}")
    await jobs.run()

    found = await NotificationDocument.get(doc.id)
    assert found is not None and found.status is NotificationStatus.SENT
    [mail] = mail_sink.received(to=email)
    assert mail.subject == "Lost and found"
    assert found.sent_at is not None and found.sent_at > datetime.now(UTC) - timedelta(minutes=1)


async def test_an_unreadable_event_makes_no_email_and_is_not_retried(
    jobs: Jobs, system_db: Any
) -> None:
    event = {"event_id": str(uuid.uuid4()), "topic": "booking.rejected", "booking_id": "x"}

    await notified(jobs, event)

    assert await stored(system_db, event_id=event["event_id"]) == []
