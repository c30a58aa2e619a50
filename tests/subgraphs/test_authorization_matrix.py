"""Every role against every protected field, asked of the subgraphs directly (no gateway).

The fields and what they need come from the composed supergraph's ``@authenticated`` and
``@requiresScopes``; who holds which scope comes from ``astro.identity.ROLE_SCOPES``. So a new
protected field, or a new role, is in the matrix without a line here; only a field that needs
arguments (or a parent to reach it through) needs an entry in :data:`REACH`, and a protected field
without one fails :func:`test_every_protected_field_is_reachable`.

A cell is "allowed" when the subgraph answers with data or with nothing worse than a made-up id's
``NOT_FOUND`` or an input's ``BAD_USER_INPUT``; "denied" when it answers ``UNAUTHENTICATED`` (no
token) or ``FORBIDDEN`` naming exactly the scopes the field's directive lists, at the path of the
first field on the way that the role may not read. The gateway removes the same fields (see
``tests/e2e/test_roles.py``): the two read one table and one set of directives.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    EnumValueNode,
    FieldDefinitionNode,
    ListTypeNode,
    ListValueNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    StringValueNode,
    TypeNode,
    ValueNode,
    parse,
)

from astro.identity import ROLE_SCOPES, issue_access_token
from astro.settings import Settings
from subgraphs.admin import jobs as admin_jobs
from subgraphs.admin.app import create_app as admin_app
from subgraphs.admin.store import Database, Spaceport
from subgraphs.customer.app import create_app as customer_app
from subgraphs.system.app import create_app as system_app
from tests.serving import serve
from tests.subgraphs.admin.conftest import make_supplier
from tests.subgraphs.admin.factories import booking_event, make_launch

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
VISITOR = "visitor"
ROLES = (VISITOR, *ROLE_SCOPES)
DENIALS = {"UNAUTHENTICATED", "FORBIDDEN"}
ANSWERS = {"NOT_FOUND", "BAD_USER_INPUT"}


# --- what the supergraph declares --------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """``@authenticated`` and ``@requiresScopes`` of one field (its type's included)."""

    authenticated: bool = False
    scopes: tuple[tuple[str, ...], ...] = ()  # an OR of AND-lists

    @property
    def protected(self) -> bool:
        return self.authenticated or bool(self.scopes)

    def allows(self, role: str) -> bool:
        if role == VISITOR:
            return not self.protected
        granted = set(ROLE_SCOPES[role])
        return not self.scopes or any(set(clause) <= granted for clause in self.scopes)

    def __and__(self, other: Requirement) -> Requirement:
        scopes = self.scopes or other.scopes
        if self.scopes and other.scopes:
            scopes = tuple(a + b for a in self.scopes for b in other.scopes)
        return Requirement(self.authenticated or other.authenticated, scopes)


@dataclass(frozen=True)
class FieldInfo:
    requirement: Requirement
    type_name: str  # the named type it returns
    graph: str | None  # the one subgraph that resolves it
    arguments_required: bool  # some argument is non-null without a default


@dataclass
class Supergraph:
    fields: dict[str, dict[str, FieldInfo]] = field(default_factory=dict)  # type → field → info
    composite: set[str] = field(default_factory=set)  # object, interface and union type names


def _value(node: ValueNode) -> Any:
    if isinstance(node, ListValueNode):
        return [_value(item) for item in node.values]
    if isinstance(node, StringValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    return None


def _arguments(directive: ConstDirectiveNode) -> dict[str, Any]:
    return {arg.name.value: _value(arg.value) for arg in directive.arguments or ()}


def _requirement(directives: tuple[ConstDirectiveNode, ...]) -> Requirement:
    requirement = Requirement()
    for directive in directives:
        if directive.name.value == "authenticated":
            requirement &= Requirement(authenticated=True)
        elif directive.name.value == "requiresScopes":
            clauses = _arguments(directive)["scopes"]
            requirement &= Requirement(scopes=tuple(tuple(clause) for clause in clauses))
    return requirement


def _graphs(directives: tuple[ConstDirectiveNode, ...], name: str) -> list[str]:
    graphs = [_arguments(d).get("graph") for d in directives if d.name.value == name]
    return [str(graph).lower() for graph in graphs if graph]


def _named(node: TypeNode) -> str:
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    return str(node.name.value)  # type: ignore[attr-defined]


def _needs_arguments(definition: FieldDefinitionNode) -> bool:
    return any(
        isinstance(arg.type, NonNullTypeNode) and arg.default_value is None
        for arg in definition.arguments or ()
    )


def read_supergraph(path: Path = SUPERGRAPH) -> Supergraph:
    """The fields of every object type, with what they require and which subgraph owns them."""
    supergraph = Supergraph()
    for node in parse(path.read_text()).definitions:
        kind = getattr(node, "kind", "")
        if kind in {"object_type_definition", "interface_type_definition", "union_type_definition"}:
            supergraph.composite.add(node.name.value)  # type: ignore[attr-defined]
        if not isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            continue
        type_directives = tuple(node.directives or ())
        type_requirement = _requirement(type_directives)
        type_graphs = _graphs(type_directives, "join__type")
        fields = supergraph.fields.setdefault(node.name.value, {})
        for definition in node.fields or ():
            directives = tuple(definition.directives or ())
            graphs = _graphs(directives, "join__field") or type_graphs
            fields[definition.name.value] = FieldInfo(
                requirement=type_requirement & _requirement(directives),
                type_name=_named(definition.type),
                graph=graphs[0] if len(set(graphs)) == 1 else None,
                arguments_required=_needs_arguments(definition),
            )
    return supergraph


SCHEMA = read_supergraph()
PROTECTED = sorted(
    f"{type_name}.{name}"
    for type_name, fields in SCHEMA.fields.items()
    for name, info in fields.items()
    if info.requirement.protected
)


# --- the data the calls name, and the calls ----------------------------------------------------


@dataclass
class World:
    """Rows the calls point at: a supplier's launch with a confirmed booking; the supplier role's
    token is that supplier's login, so its row-level rule lets it through."""

    urls: dict[str, str]
    tokens: dict[str, str | None]
    supplier_id: str
    launch_id: str
    booking_id: str


@dataclass(frozen=True)
class Call:
    query: str
    variables: dict[str, Any]
    path: tuple[str | int, ...]  # the response path of the field under test


def _nobody() -> str:
    return str(uuid.uuid4())


def _mutation(text: str, path: str, **variables: Any) -> Callable[[World], Call]:
    return lambda world: Call(f"mutation{text}", dict(variables), (path,))


def _later() -> str:
    return (datetime.now(UTC) + timedelta(days=900)).isoformat()


#: How to reach a protected field that needs arguments or sits below another type. Made-up ids
#: (``_nobody()``) make an allowed call end in NOT_FOUND, so nothing is changed by the matrix.
REACH: dict[str, Callable[[World], Call]] = {
    "LedgerBooking.invoice": lambda w: Call(
        "query($b: ID!) { ledgerBooking(id: $b) { invoice { id } } }",
        {"b": w.booking_id},
        ("ledgerBooking", "invoice"),
    ),
    "Query.launchManifest": lambda w: Call(
        "query($l: ID!) { launchManifest(launchId: $l) { name } }",
        {"l": w.launch_id},
        ("launchManifest",),
    ),
    "Query.ledgerBooking": lambda w: Call(
        "query($b: ID!) { ledgerBooking(id: $b) { id } }", {"b": w.booking_id}, ("ledgerBooking",)
    ),
    "Query.invoice": lambda w: Call(
        "query($i: ID!) { invoice(id: $i) { id } }", {"i": _nobody()}, ("invoice",)
    ),
    "Query.yearReport": lambda w: Call("{ yearReport(year: 2031) { kind } }", {}, ("yearReport",)),
    "Query.booking": lambda w: Call(
        "query($b: ID!) { booking(id: $b) { id } }", {"b": _nobody()}, ("booking",)
    ),
    "Query.refundQuote": lambda w: Call(
        "query($b: ID!) { refundQuote(bookingId: $b) { percent } }",
        {"b": _nobody()},
        ("refundQuote",),
    ),
    "Mutation.scheduleLaunch": lambda w: Call(
        "mutation($i: ScheduleLaunchInput!) { scheduleLaunch(input: $i) { id } }",
        {
            "i": {
                "rocketId": _nobody(),
                "spaceportId": _nobody(),
                "destination": "Nowhere",
                "launchDate": _later(),
                "pricePerSeat": "10.00",
                "seats": 1,
            }
        },
        ("scheduleLaunch",),
    ),
    "Mutation.addRocket": _mutation(
        ' { addRocket(input: {name: " ", capacity: 1, range: LEO}) { id } }', "addRocket"
    ),
    "Mutation.confirmLaunch": lambda w: Call(
        "mutation($l: ID!) { confirmLaunch(id: $l) { id } }", {"l": _nobody()}, ("confirmLaunch",)
    ),
    "Mutation.delayLaunch": lambda w: Call(
        'mutation($l: ID!, $d: DateTime!) { delayLaunch(id: $l, newLaunchDate: $d, reason: "x") '
        "{ id } }",
        {"l": _nobody(), "d": _later()},
        ("delayLaunch",),
    ),
    "Mutation.abortLaunch": lambda w: Call(
        'mutation($l: ID!) { abortLaunch(id: $l, reason: "x") { id } }',
        {"l": _nobody()},
        ("abortLaunch",),
    ),
    "Mutation.markLaunchSuccessful": lambda w: Call(
        "mutation($l: ID!) { markLaunchSuccessful(id: $l) { id } }",
        {"l": _nobody()},
        ("markLaunchSuccessful",),
    ),
    "Mutation.markLaunchFailed": lambda w: Call(
        "mutation($l: ID!) { markLaunchFailed(id: $l) { id } }",
        {"l": _nobody()},
        ("markLaunchFailed",),
    ),
    "Mutation.updateLaunch": lambda w: Call(
        "mutation($l: ID!) { updateLaunch(id: $l, input: {}) { id } }",
        {"l": _nobody()},
        ("updateLaunch",),
    ),
    "Mutation.updateRocket": lambda w: Call(
        "mutation($r: ID!) { updateRocket(id: $r, input: {}) { id } }",
        {"r": _nobody()},
        ("updateRocket",),
    ),
    "Mutation.deleteRocket": lambda w: Call(
        "mutation($r: ID!) { deleteRocket(id: $r) { id } }", {"r": _nobody()}, ("deleteRocket",)
    ),
    "Mutation.updateSupplierProfile": _mutation(
        " { updateSupplierProfile(input: {}) { id } }", "updateSupplierProfile"
    ),
    "Mutation.financeCancelBooking": lambda w: Call(
        "mutation($b: ID!) { financeCancelBooking(id: $b) { id } }",
        {"b": _nobody()},
        ("financeCancelBooking",),
    ),
    "Mutation.settlePayment": lambda w: Call(
        "mutation($p: ID!) { settlePayment(id: $p, status: COMPLETED) { id } }",
        {"p": _nobody()},
        ("settlePayment",),
    ),
    "Mutation.retryPayment": lambda w: Call(
        "mutation($i: ID!) { retryPayment(invoiceId: $i) { id } }",
        {"i": _nobody()},
        ("retryPayment",),
    ),
    "Mutation.settleRefund": lambda w: Call(
        "mutation($r: ID!) { settleRefund(id: $r, status: COMPLETED) { id } }",
        {"r": _nobody()},
        ("settleRefund",),
    ),
    "Mutation.recordReceivedInvoice": lambda w: Call(
        "mutation($i: ReceivedInvoiceInput!) { recordReceivedInvoice(input: $i) { id } }",
        {
            "i": {
                "supplierId": _nobody(),
                "number": "R-1",
                "amount": "1.00",
                "issueDate": "2030-01-01",
                "dueDate": "2030-02-01",
            }
        },
        ("recordReceivedInvoice",),
    ),
    "Mutation.bookSeats": lambda w: Call(
        "mutation($l: ID!) { bookSeats(input: {launchId: $l, passengers: "
        '[{name: "A", dateOfBirth: "1990-01-01", email: "a@example.com"}]}) { id } }',
        {"l": _nobody()},
        ("bookSeats",),
    ),
    "Mutation.cancelBooking": lambda w: Call(
        "mutation($b: ID!) { cancelBooking(bookingId: $b) { id } }",
        {"b": _nobody()},
        ("cancelBooking",),
    ),
    "Mutation.updateCustomerProfile": _mutation(
        " { updateCustomerProfile(input: {}) { id } }", "updateCustomerProfile"
    ),
    "Mutation.resendNotification": lambda w: Call(
        "mutation($n: ID!) { resendNotification(id: $n) { id } }",
        {"n": "no-such-notification"},
        ("resendNotification",),
    ),
}

#: The id of an entity of each type the matrix reaches through ``_entities``.
ENTITY_IDS: dict[str, Callable[[World], str]] = {
    "Supplier": lambda w: w.supplier_id,
    "Launch": lambda w: w.launch_id,
}


def _selection(type_name: str) -> str:
    return " { __typename }" if type_name in SCHEMA.composite else ""


def call_for(coordinate: str, world: World) -> Call:
    """The request that reads the field at ``coordinate`` (and only what it must pass through)."""
    if coordinate in REACH:
        return REACH[coordinate](world)
    type_name, name = coordinate.split(".")
    info = SCHEMA.fields[type_name][name]
    if info.arguments_required:
        raise LookupError(f"{coordinate} needs arguments: add it to REACH")
    selection = _selection(info.type_name)
    if type_name in {"Query", "Mutation"}:
        operation = "query" if type_name == "Query" else "mutation"
        return Call(f"{operation} {{ {name}{selection} }}", {}, (name,))
    if type_name not in ENTITY_IDS:
        raise LookupError(f"{coordinate} is on {type_name}: add it to REACH or ENTITY_IDS")
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) "
        f"{{ ... on {type_name} {{ {name}{selection} }} }} }}"
    )
    representation = {"__typename": type_name, "id": ENTITY_IDS[type_name](world)}
    return Call(query, {"r": [representation]}, ("_entities", 0, name))


def graph_of(coordinate: str, call: Call) -> str:
    """The subgraph that answers ``call``: the one that owns its first field."""
    type_name, name = coordinate.split(".")
    root = call.path[0]
    if root == "_entities":
        owner = SCHEMA.fields[type_name][name].graph
    else:
        operation = "Mutation" if call.query.startswith("mutation") else "Query"
        owner = SCHEMA.fields[operation][str(root)].graph
    assert owner is not None, f"{coordinate} is resolved by more than one subgraph"
    return owner


def first_denial(
    coordinate: str, call: Call, role: str
) -> tuple[tuple[str | int, ...], Requirement]:
    """The path and requirement of the first field on ``call.path`` that ``role`` may not read;
    an empty path when it may read them all."""
    type_name = coordinate.split(".")[0]
    if call.path[0] == "_entities":
        current, steps = type_name, call.path[2:]
        prefix: tuple[str | int, ...] = call.path[:2]
    else:
        current = "Mutation" if call.query.startswith("mutation") else "Query"
        steps, prefix = call.path, ()
    for step in steps:
        prefix = (*prefix, step)
        if isinstance(step, int):
            continue
        info = SCHEMA.fields[current][step]
        if not info.requirement.allows(role):
            return prefix, info.requirement
        current = info.type_name
    return (), Requirement()


# --- the platform ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[World]:
    """The three subgraphs on stores of their own, and the rows the calls name."""
    run = uuid.uuid4().hex[:6]
    own = settings.model_copy(
        update={
            "customer_db": f"{settings.customer_db}_matrix_{run}",
            "system_db": f"{settings.system_db}_matrix_{run}",
            "queue_name": f"{settings.queue_name}:matrix",
        }
    )
    await admin_jobs.startup(ctx := {"settings": own})
    db: Database = ctx["admin"].db
    try:
        account = await make_supplier(db, own)
        spaceport = Spaceport(code=f"M{run.upper()}", name="Matrix port", location="Nowhere")
        async with db.sessions.begin() as session:
            session.add(spaceport)
        launch = await make_launch(db, account, spaceport)
        event = booking_event(launch)
        assert await admin_jobs.record_booking(ctx, event) == "confirmed"
        tokens: dict[str, str | None] = {VISITOR: None, "supplier": account.token}
        for role in ROLE_SCOPES:
            tokens.setdefault(
                role,
                issue_access_token(
                    own, sub=_nobody(), email=f"{role}@matrix.example", roles=[role]
                ),
            )
        async with (
            serve(admin_app(own)) as admin,
            serve(customer_app(own)) as customer,
            serve(system_app(own)) as system,
        ):
            yield World(
                urls={
                    "admin": f"{admin}/graphql",
                    "customer": f"{customer}/graphql",
                    "system": f"{system}/graphql",
                },
                tokens=tokens,
                supplier_id=str(account.supplier.id),
                launch_id=str(launch.id),
                booking_id=str(event["booking"]["id"]),
            )
    finally:
        await admin_jobs.shutdown(ctx)


async def _ask(world: World, graph: str, call: Call, token: str | None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            world.urls[graph],
            json={"query": call.query, "variables": call.variables},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- the tests ---------------------------------------------------------------------------------


def test_the_supergraph_declares_protected_fields_of_every_subgraph() -> None:
    owners = {SCHEMA.fields[c.split(".")[0]][c.split(".")[1]].graph for c in PROTECTED}
    assert {"admin", "customer", "system"} <= owners
    assert "Supplier.taxId" in PROTECTED and "Query.me" in PROTECTED


def test_every_protected_field_is_reachable() -> None:
    world = World({}, {}, _nobody(), _nobody(), _nobody())
    unreachable = []
    for coordinate in PROTECTED:
        try:
            call_for(coordinate, world)
        except LookupError as exc:
            unreachable.append(str(exc))
    assert unreachable == []
    assert set(REACH) <= set(PROTECTED), "REACH names fields that are no longer protected"


def test_every_scope_a_role_grants_is_required_by_some_field() -> None:
    required = {
        scope
        for coordinate in PROTECTED
        for clause in SCHEMA.fields[coordinate.split(".")[0]][
            coordinate.split(".")[1]
        ].requirement.scopes
        for scope in clause
    }
    granted = {scope for scopes in ROLE_SCOPES.values() for scope in scopes}
    assert granted - required == set(), "scopes granted but required by nothing"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("coordinate", PROTECTED)
async def test_subgraph_answers_a_role_as_the_fields_directives_say(
    world: World, coordinate: str, role: str
) -> None:
    call = call_for(coordinate, world)

    body = await _ask(world, graph_of(coordinate, call), call, world.tokens[role])

    denied_at, requirement = first_denial(coordinate, call, role)
    denials = [
        error
        for error in body.get("errors") or ()
        if (error.get("extensions") or {}).get("code") in DENIALS
    ]
    if not denied_at:
        # Answered: data, or a made-up id's NOT_FOUND or an input's BAD_USER_INPUT.
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
        assert codes <= ANSWERS, (coordinate, role, body)
        return
    assert len(denials) == 1, (coordinate, role, body)
    [error] = denials
    assert tuple(error["path"]) == denied_at, (coordinate, role, body)
    if role == VISITOR:
        assert error["extensions"]["code"] == "UNAUTHENTICATED", body
        return
    assert error["extensions"]["code"] == "FORBIDDEN", body
    declared = {scope for clause in requirement.scopes for scope in clause}
    assert set(error["extensions"]["scopes"]) == declared, (coordinate, role, body)
