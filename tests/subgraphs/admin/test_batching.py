"""Lists resolve nested ledger fields through DataLoaders: one query per field, whatever the size."""

from __future__ import annotations

from collections import Counter
from typing import Any

from subgraphs.admin.jobs import record_booking
from subgraphs.admin.store import Database, Spaceport
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.factories import booking_event, make_launch
from tests.subgraphs.admin.test_queries_and_entities import statements

SUPPLIER_LISTS = """
query($launches: Int!, $bookings: Int!) {
  supplierLaunchPage(first: $launches) {
    nodes { id figures { seatsSold revenue collected belowViabilityThreshold viabilityFlaggedAt }
            statusHistory { toStatus } rocket { name } }
  }
  supplierBookings(first: $bookings) {
    nodes { id passengers { name seat } paymentStatus refund { amount } launch { id } }
  }
}
"""
FINANCE_LISTS = """
query($supplier: ID!, $launches: Int!, $bookings: Int!) {
  financeLaunches(supplierId: $supplier, first: $launches) {
    nodes { id figures { revenue } statusHistory { toStatus } }
  }
  ledgerBookings(first: $bookings) {
    nodes { id passengers { name } paymentStatus refund { amount } invoice { number } }
  }
}
"""
PER_ROW_TABLES = ("passengers", "payments", "refunds", "invoices", "launch_status_history")


def _tables(seen: list[str]) -> Counter[str]:
    """How many SELECTs read each table (subqueries included)."""
    counted: Counter[str] = Counter()
    for sql in seen:
        if sql.lstrip().upper().startswith("SELECT"):
            for table in (*PER_ROW_TABLES, "bookings", "launches", "suppliers", "rockets"):
                if f"FROM {table} " in f"{sql} " or f"FROM {table}\n" in sql:
                    counted[table] += 1
    return counted


async def _run(
    admin: AdminServer, query: str, variables: dict[str, Any], token: str
) -> tuple[Any, list[str]]:
    with statements(admin.state.db) as seen:
        reply = await admin.client(query, variables, token=token)
    assert reply.errors == [], reply.errors
    return reply.data, list(seen)


async def test_launch_and_booking_lists_cost_the_same_queries_for_2_or_6_rows(
    admin: AdminServer,
    db: Database,
    account: SupplierAccount,
    spaceport: Spaceport,
    jobs_ctx: dict[str, Any],
    finance: str,
) -> None:
    for _ in range(6):
        launch = await make_launch(db, account, spaceport, seats=6)
        for event in (booking_event(launch, seats=2), booking_event(launch, seats=1)):
            assert await record_booking(jobs_ctx, event) == "confirmed"
    cancel = "mutation($id: ID!) { financeCancelBooking(id: $id) { id } }"
    reply = await admin.client(cancel, {"id": event["booking"]["id"]}, token=finance)
    assert reply.errors == []  # one booking with a refund among them

    small, small_sql = await _run(
        admin, SUPPLIER_LISTS, {"launches": 2, "bookings": 2}, account.token
    )
    large, large_sql = await _run(
        admin, SUPPLIER_LISTS, {"launches": 6, "bookings": 12}, account.token
    )
    finance_vars = {"supplier": str(account.supplier.id)}
    _, small_fin_sql = await _run(
        admin, FINANCE_LISTS, finance_vars | {"launches": 2, "bookings": 2}, finance
    )
    large_fin, large_fin_sql = await _run(
        admin, FINANCE_LISTS, finance_vars | {"launches": 6, "bookings": 12}, finance
    )

    assert len(large["supplierLaunchPage"]["nodes"]) == 6
    assert len(large["supplierBookings"]["nodes"]) == 12
    assert len(large_fin["ledgerBookings"]["nodes"]) == 12
    assert sum(len(b["passengers"]) for b in large["supplierBookings"]["nodes"]) == 18
    assert [b["refund"] is not None for b in large["supplierBookings"]["nodes"]].count(True) == 1
    assert {len(launch["statusHistory"]) for launch in large["supplierLaunchPage"]["nodes"]} == {1}
    assert small["supplierLaunchPage"]["nodes"][0]["figures"]["seatsSold"] == 3
    assert all(b["invoice"] for b in large_fin["ledgerBookings"]["nodes"])
    assert len(large_sql) == len(small_sql), (small_sql, large_sql)
    assert len(large_fin_sql) == len(small_fin_sql), (small_fin_sql, large_fin_sql)
    for seen in (large_sql, large_fin_sql):
        counted = _tables(seen)
        for table in PER_ROW_TABLES:
            if table == "invoices" and seen is large_sql:
                continue  # suppliers do not read invoices
            assert counted[table] == 1, (table, seen)
