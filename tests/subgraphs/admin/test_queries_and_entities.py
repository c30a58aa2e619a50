"""Queries, row-level visibility and batched federation entity resolution."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from astro.identity import issue_access_token
from astro.settings import Settings
from subgraphs.admin.store import Database, Spaceport
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount
from tests.subgraphs.admin.test_scheduling import SCHEDULE, launch_input


async def _schedule(admin: AdminServer, account: SupplierAccount, spaceport: Spaceport) -> str:
    reply = await admin.client(
        SCHEDULE, {"input": launch_input(account, spaceport)}, token=account.token
    )
    assert reply.errors == []
    launch_id: str = reply.data["scheduleLaunch"]["id"]
    return launch_id


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements ``db``'s engine sends while the block runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def _selects_from(seen: list[str], table: str) -> list[str]:
    return [
        sql for sql in seen if sql.lstrip().upper().startswith("SELECT") and f"FROM {table}" in sql
    ]


ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Launch { id slug pricePerSeat rocket { name } supplier { name } spaceport { code } }
    ... on Rocket { id name }
    ... on Supplier { id name }
    ... on Spaceport { id code }
  }
}
"""


async def test_entities_resolve_launches_in_one_batch(
    admin: AdminServer,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
    spaceport: Spaceport,
) -> None:
    accounts = [await new_supplier(), await new_supplier()]
    launch_ids = [await _schedule(admin, accounts[i % 2], spaceport) for i in range(4)]
    representations = [{"__typename": "Launch", "id": launch_id} for launch_id in launch_ids]

    with statements(admin.state.db) as seen:
        reply = await admin.client(ENTITIES, {"representations": representations})

    assert reply.errors == []
    entities = reply.data["_entities"]
    assert [entity["id"] for entity in entities] == launch_ids
    assert [entity["supplier"]["name"] for entity in entities] == [
        accounts[i % 2].supplier.name for i in range(4)
    ]
    assert {entity["spaceport"]["code"] for entity in entities} == {spaceport.code}
    for table in ("launches", "rockets", "suppliers", "spaceports"):
        [query] = _selects_from(seen, table)
        assert "= ANY" in query.upper()


async def test_entities_of_every_type_resolve_and_unknown_ones_are_not_found(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport
) -> None:
    representations = [
        {"__typename": "Rocket", "id": str(account.rocket.id)},
        {"__typename": "Supplier", "id": str(account.supplier.id)},
        {"__typename": "Spaceport", "id": str(spaceport.id)},
        {"__typename": "Launch", "id": str(uuid.uuid4())},
    ]

    reply = await admin.client(ENTITIES, {"representations": representations})

    rocket, supplier, port, missing = reply.data["_entities"]
    assert rocket == {
        "__typename": "Rocket",
        "id": str(account.rocket.id),
        "name": account.rocket.name,
    }
    assert supplier == {
        "__typename": "Supplier",
        "id": str(account.supplier.id),
        "name": account.supplier.name,
    }
    assert port == {"__typename": "Spaceport", "id": str(spaceport.id), "code": spaceport.code}
    assert missing is None
    assert reply.codes == ["NOT_FOUND"]
    assert reply.errors[0]["path"] == ["_entities", 3]


LAUNCH = "query One($id: ID!) { launch(id: $id) { id status rocket { id } } }"


async def test_launch_by_id_and_unknown_launch_is_not_found(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport
) -> None:
    launch_id = await _schedule(admin, account, spaceport)

    found = await admin.client(LAUNCH, {"id": launch_id})
    missing = await admin.client(LAUNCH, {"id": str(uuid.uuid4())})
    malformed = await admin.client(LAUNCH, {"id": "launch-1"})

    assert found.data["launch"] == {
        "id": launch_id,
        "status": "SCHEDULED",
        "rocket": {"id": str(account.rocket.id)},
    }
    assert missing.data == {"launch": None}
    assert missing.codes == ["NOT_FOUND"]
    assert malformed.codes == ["BAD_USER_INPUT"]


OWN = "{ supplierLaunches { id supplier { id } } rockets { id } }"


async def test_supplier_sees_only_their_own_launches_and_rockets(
    admin: AdminServer,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
    spaceport: Spaceport,
    admin_settings: Settings,
) -> None:
    mine, theirs = await new_supplier(), await new_supplier()
    my_launch = await _schedule(admin, mine, spaceport)
    await _schedule(admin, theirs, spaceport)
    customer = issue_access_token(
        admin_settings, sub=str(uuid.uuid4()), email="c@example.com", roles=["customer"]
    )

    reply = await admin.client(OWN, token=mine.token)
    as_customer = await admin.client("{ supplierLaunches { id } }", token=customer)

    assert reply.errors == []
    assert reply.data["supplierLaunches"] == [
        {"id": my_launch, "supplier": {"id": str(mine.supplier.id)}}
    ]
    assert reply.data["rockets"] == [{"id": str(mine.rocket.id)}]
    assert as_customer.codes == ["FORBIDDEN"]


async def test_spaceports_are_public_and_suppliers_are_for_finance_and_admin(
    admin: AdminServer, account: SupplierAccount, spaceport: Spaceport, admin_settings: Settings
) -> None:
    finance = issue_access_token(
        admin_settings, sub=str(uuid.uuid4()), email="f@example.com", roles=["finance"]
    )

    ports = await admin.client("{ spaceports { id code name location } }")
    as_finance = await admin.client("{ suppliers { id name } }", token=finance)
    as_supplier = await admin.client("{ suppliers { id } }", token=account.token)
    as_visitor = await admin.client("{ suppliers { id } }")

    assert {
        "id": str(spaceport.id),
        "code": spaceport.code,
        "name": spaceport.name,
        "location": spaceport.location,
    } in ports.data["spaceports"]
    assert {"id": str(account.supplier.id), "name": account.supplier.name} in as_finance.data[
        "suppliers"
    ]
    assert as_supplier.codes == ["FORBIDDEN"]
    assert as_visitor.codes == ["UNAUTHENTICATED"]


async def test_a_forged_token_is_refused_before_any_resolver(admin: AdminServer) -> None:
    reply = await admin.client("{ spaceports { id } }", token="not.a.token")

    assert reply.status == 401
    assert reply.codes == ["UNAUTHENTICATED"]
