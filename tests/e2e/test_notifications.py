"""Notifications through the gateway, on the whole platform: the ledger's events and the catalog's
VIP announcements become emails that reach a real SMTP server, the recipients see their own, and
IT resends one."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from astro.demo import DEMO_PASSWORD
from astro.settings import Settings
from astroctl.mailsink import MailSink, ReceivedMail
from tests.e2e.conftest import Gateway, wait_for
from tests.e2e.test_operations import SUPPLIER, _book, _schedule

CUSTOMER = "customer@astrobookings.dev"
VIP = "vip@astrobookings.dev"
IT = "it@astrobookings.dev"
MY_NOTIFICATIONS = """
{ myNotifications(first: 200) { nodes { id kind status subject body bookingId launchId attemptCount } } }
"""
MY_BOOKINGS = "{ myBookings { nodes { id status rejectionReason } } }"


def _mine(platform: Gateway, token: str) -> list[dict[str, Any]]:
    body = platform.post(MY_NOTIFICATIONS, token=token)
    assert "errors" not in body, body
    notifications: list[dict[str, Any]] = body["data"]["myNotifications"]["nodes"]
    return notifications


def _mails_of(sink: MailSink, notification_id: str) -> list[ReceivedMail]:
    return [mail for mail in sink.received() if mail.notification_id == notification_id]


def _set_ledger_status(settings: Settings, launch_id: str, status: str) -> None:
    """Change the launch's status in the ledger only (no event): the catalog does not know."""

    async def run() -> None:
        conn = await asyncpg.connect(str(settings.postgres_url))
        try:
            await conn.execute(
                "UPDATE launches SET status = $1 WHERE id = $2::uuid", status, launch_id
            )
        finally:
            await conn.close()

    asyncio.run(run())


def test_rejected_booking_emails_the_customer(
    platform: Gateway, platform_mail: MailSink, settings: Settings
) -> None:
    supplier = platform.login(SUPPLIER, DEMO_PASSWORD)
    customer = platform.login(CUSTOMER, DEMO_PASSWORD)
    launch = _schedule(platform, supplier, seats=4)
    # The launch is aborted in the ledger while the catalog still offers it: the booking is
    # taken in the customer store, then the ledger rejects it.
    _set_ledger_status(settings, launch["id"], "ABORTED")
    try:
        booking = _book(platform, launch["id"], seats=1)
        bookings = wait_for(
            lambda: platform.post(MY_BOOKINGS, token=customer)["data"]["myBookings"]["nodes"],
            lambda items: any(
                b["id"] == booking["id"] and b["status"] == "REJECTED" for b in items
            ),
        )
        [rejected] = [b for b in bookings if b["id"] == booking["id"]]
        assert rejected["status"] == "REJECTED", bookings
        told = wait_for(
            lambda: [
                n
                for n in _mine(platform, customer)
                if n["bookingId"] == booking["id"] and n["status"] == "SENT"
            ],
            bool,
        )
    finally:
        _set_ledger_status(settings, launch["id"], "SCHEDULED")

    [notification] = told
    assert notification["kind"] == "booking_rejected"
    assert notification["subject"] == "We could not confirm your booking to Lagrange Point 2"
    assert "The launch is ABORTED and takes no more bookings." in notification["body"]
    [mail] = _mails_of(platform_mail, notification["id"])
    assert mail.to == (CUSTOMER,)
    assert mail.subject == notification["subject"]
    assert booking["id"] in mail.body
    # The supplier hears of bookings made, not of the ones the ledger refused.
    supplier_mails = [
        m for m in platform_mail.received() if booking["id"] in m.body and m.to != (CUSTOMER,)
    ]
    assert supplier_mails == []


def test_a_vip_hears_of_a_newly_scheduled_launch_and_a_plain_customer_does_not(
    platform: Gateway, platform_mail: MailSink
) -> None:
    supplier = platform.login(SUPPLIER, DEMO_PASSWORD)
    vip = platform.login(VIP, DEMO_PASSWORD)
    customer = platform.login(CUSTOMER, DEMO_PASSWORD)

    launch = _schedule(platform, supplier, seats=6)

    told = wait_for(
        lambda: [
            n
            for n in _mine(platform, vip)
            if n["launchId"] == launch["id"] and n["status"] == "SENT"
        ],
        bool,
    )
    [notification] = told
    assert notification["kind"] == "launch_scheduled_vip"
    assert notification["subject"].startswith("New launch for our VIPs: Lagrange Point 2 on ")
    [mail] = _mails_of(platform_mail, notification["id"])
    assert mail.to == (VIP,)
    assert "USD 125,000.50" in mail.body
    assert [n for n in _mine(platform, customer) if n["launchId"] == launch["id"]] == []


def test_it_resends_a_notification_and_only_it_sees_them_all(
    platform: Gateway, platform_mail: MailSink
) -> None:
    it = platform.login(IT, DEMO_PASSWORD)
    vip = platform.login(VIP, DEMO_PASSWORD)
    sent = wait_for(
        lambda: [n for n in _mine(platform, vip) if n["status"] == "SENT"], bool, timeout=30
    )
    assert sent, "the VIP has no sent notification yet (demo launches announce themselves)"
    target = sent[0]
    before = len(_mails_of(platform_mail, target["id"]))

    listed = platform.post(
        "query($r: String!) { notifications(recipient: $r, status: SENT, first: 200) { nodes { id } } }",
        {"r": VIP},
        token=it,
    )
    resent = platform.post(
        "mutation($id: ID!) { resendNotification(id: $id) { id status } }",
        {"id": target["id"]},
        token=it,
    )
    by_vip = platform.post(
        "mutation($id: ID!) { resendNotification(id: $id) { id status } }",
        {"id": target["id"]},
        token=vip,
    )
    delivered = wait_for(
        lambda: _mails_of(platform_mail, target["id"]), lambda mails: len(mails) > before
    )

    assert "errors" not in listed, listed
    assert target["id"] in {n["id"] for n in listed["data"]["notifications"]["nodes"]}
    assert "errors" not in resent, resent
    assert resent["data"]["resendNotification"] == {"id": target["id"], "status": "PENDING"}
    assert by_vip["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert len(delivered) == before + 1
    [again] = wait_for(
        lambda: [n for n in _mine(platform, vip) if n["id"] == target["id"]],
        lambda items: items[0]["status"] == "SENT",
    )
    assert again["status"] == "SENT" and again["attemptCount"] == target["attemptCount"] + 1
