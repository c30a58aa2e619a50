"""Who reads a supplier's tax id, legal address and contact email: ``invoices:read`` every
supplier's, ``supplier:profile`` its own; admin holds neither and reads none (as the gateway)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from astro.settings import Settings
from tests.subgraphs.admin.conftest import AdminServer, SupplierAccount, role_token

PROFILE = """
query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Supplier { name taxId legalAddress contactEmail } }
}
"""

FIELD = """
query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Supplier {{ {field} }} }} }}
"""


def _of(account: SupplierAccount) -> dict[str, object]:
    return {"r": [{"__typename": "Supplier", "id": str(account.supplier.id)}]}


async def test_admin_reads_a_suppliers_name_but_not_its_tax_id_or_contact(
    admin: AdminServer, account: SupplierAccount, admin_settings: Settings
) -> None:
    token = role_token(admin_settings, "admin")
    name = await admin.client(FIELD.format(field="name"), _of(account), token=token)
    refused = {
        field: await admin.client(FIELD.format(field=field), _of(account), token=token)
        for field in ("taxId", "legalAddress", "contactEmail")
    }

    assert name.errors == []
    assert name.data == {"_entities": [{"name": account.supplier.name}]}
    for field, reply in refused.items():
        assert reply.codes == ["FORBIDDEN"], reply.body
        assert reply.errors[0]["path"] == ["_entities", 0, field]
        assert reply.errors[0]["extensions"]["scopes"] == ["supplier:profile", "invoices:read"]
        assert reply.data == {"_entities": [None]}


async def test_finance_reads_every_suppliers_tax_id_and_contact(
    admin: AdminServer, account: SupplierAccount, finance: str
) -> None:
    reply = await admin.client(PROFILE, _of(account), token=finance)

    assert reply.errors == []
    assert reply.data["_entities"] == [
        {
            "name": account.supplier.name,
            "taxId": "TAX-1",
            "legalAddress": "1 Test Street",
            "contactEmail": account.supplier.contact_email,
        }
    ]


async def test_a_supplier_reads_its_own_profile_but_not_another_suppliers(
    admin: AdminServer,
    account: SupplierAccount,
    new_supplier: Callable[..., Awaitable[SupplierAccount]],
) -> None:
    other = await new_supplier()

    own = await admin.client(PROFILE, _of(account), token=account.token)
    theirs = await admin.client(PROFILE, _of(other), token=account.token)

    assert own.errors == []
    assert own.data["_entities"][0]["taxId"] == "TAX-1"
    assert set(theirs.codes) == {"FORBIDDEN"}
    assert all("another supplier" in error["message"] for error in theirs.errors)
