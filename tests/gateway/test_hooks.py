"""Hooks: a stage added in Python, over real HTTP in front of real subgraphs (and the vault)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from graphql import FieldNode, GraphQLError
from graphql.validation import ASTValidationRule

from gateway.app import create_app
from gateway.auth import Principal
from gateway.config import GatewayConfig
from gateway.context import OperationContext, Reply
from gateway.edge import create_edge_app
from gateway.hooks import Hook, SubgraphRequest, SubgraphResponse, policy

from .edge_helpers import CountingGraphQL, edge_config, hs256, serve, vault_supergraph
from .subgraphs import CountingApp


@asynccontextmanager
async def gateway(
    sdl: str, hooks: Sequence[Hook], config: GatewayConfig | None = None
) -> AsyncIterator[str]:
    async with serve(create_app(sdl, config, hooks=hooks), lifespan="on") as base:
        yield base + "/graphql"


async def post(url: str, query: str, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        return await client.post(url, json={"query": query}, headers=headers)


class Timing(Hook):
    """Adds a response extension naming the operation type (a plain method, no coroutine)."""

    def on_response(self, ctx: OperationContext) -> None:
        if ctx.facts is not None:
            ctx.extensions = {"operationType": ctx.facts.op_type}


class NoMutations(Hook):
    """Rejects every mutation before it is planned."""

    async def on_operation(self, ctx: OperationContext) -> None:
        assert ctx.facts is not None
        if ctx.facts.op_type == "mutation":
            raise Reply.of(403, "Read-only today.", "READ_ONLY")


class Watcher(Hook):
    """Sees every subgraph fetch, and signs each one."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.responses: list[tuple[str, bool]] = []

    async def on_subgraph_request(self, ctx: OperationContext, request: SubgraphRequest) -> None:
        self.requests.append(request.service)
        request.headers["authorization"] = f"Bearer hook-{ctx.facts and ctx.facts.op_type}"

    async def on_subgraph_response(self, ctx: OperationContext, response: SubgraphResponse) -> None:
        self.responses.append((response.service, response.body is not None))


async def test_a_hook_adds_a_response_extension(supergraph_sdl: str) -> None:
    async with gateway(supergraph_sdl, [Timing()]) as url:
        body = (await post(url, "{ missions { id } }")).json()
    assert body == {
        "data": {"missions": [{"id": "m1"}, {"id": "m2"}]},
        "extensions": {"operationType": "query"},
    }


async def test_a_hook_rejects_an_operation_before_any_subgraph_is_asked(
    supergraph_sdl: str, subgraphs: dict[str, tuple[str, CountingApp]]
) -> None:
    missions = subgraphs["missions"][1]
    async with gateway(supergraph_sdl, [NoMutations()]) as url:
        before = missions.calls
        response = await post(url, 'mutation { appendStep(step: "x") }')
        assert response.status_code == 403
        assert response.json() == {
            "errors": [{"message": "Read-only today.", "extensions": {"code": "READ_ONLY"}}]
        }
        assert missions.calls == before
        allowed = await post(url, "{ missions { id } }")
    assert allowed.json()["data"]["missions"][0] == {"id": "m1"}


async def test_a_hook_sees_and_changes_every_subgraph_request(supergraph_sdl: str) -> None:
    watcher = Watcher()
    async with gateway(supergraph_sdl, [watcher]) as url:
        body = (await post(url, "{ missions { name crewSize } whoami }")).json()
    assert body["data"]["whoami"] == "Bearer hook-query"
    assert sorted(watcher.requests) == ["crew", "crew", "missions"]
    assert sorted(watcher.responses) == [("crew", True), ("crew", True), ("missions", True)]


async def test_hooks_run_after_the_edge_stages(supergraph_sdl: str) -> None:
    watcher = Watcher()
    config = edge_config(mode="production", cors_origins=[])
    async with gateway(supergraph_sdl, [watcher, Timing()], config) as url:
        refused = await post(url, "{ __schema { queryType { name } } }")
        assert refused.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        body = (await post(url, "{ whoami }")).json()
    assert body["data"] == {"whoami": "Bearer hook-query"}
    assert body["extensions"] == {"operationType": "query"}
    assert watcher.requests == ["crew"]


class NoWhoami(ASTValidationRule):
    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value == "whoami":
            self.report_error(GraphQLError("No whoami.", extensions={"code": "NO_WHOAMI"}))


class Rules(Hook):
    def validation_rules(self) -> Sequence[type[ASTValidationRule]]:
        return (NoWhoami,)


async def test_a_hook_brings_a_validation_rule(supergraph_sdl: str) -> None:
    async with gateway(supergraph_sdl, [Rules()]) as url:
        refused = await post(url, "{ missions { id } whoami }")
        allowed = await post(url, "{ missions { id } }")
    assert refused.status_code == 400
    assert refused.json() == {
        "errors": [{"message": "No whoami.", "extensions": {"code": "NO_WHOAMI"}}]
    }
    assert allowed.status_code == 200


@pytest.fixture(scope="module")
async def vault() -> AsyncIterator[tuple[str, CountingGraphQL]]:
    app = CountingGraphQL()
    async with serve(app) as base:
        yield vault_supergraph(base + "/graphql", app.sdl), app


async def test_a_policy_is_a_hook(vault: tuple[str, CountingGraphQL]) -> None:
    @policy("vip")
    def vip(principal: Principal | None) -> bool:
        return principal is not None and "vip" in principal.roles

    async with gateway(vault[0], [vip], edge_config()) as url:
        query = "{ accounts { owner note } }"
        granted = (await post(url, query, hs256(["vip"]))).json()
        denied = (await post(url, query, hs256(["customer"]))).json()
    assert granted == {"data": {"accounts": [{"owner": "Ada", "note": "hi"}]}}
    assert denied["data"] == {"accounts": [{"owner": "Ada", "note": None}]}
    assert denied["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


async def test_a_policy_registered_later_still_decides(vault: tuple[str, CountingGraphQL]) -> None:
    app = create_edge_app(vault[0], edge_config())
    query = "{ accounts { owner note } }"
    async with serve(app, lifespan="on") as base:
        before = (await post(base + "/graphql", query, hs256(["vip"]))).json()
        app.register_policy("vip", lambda principal: principal is not None)
        after = (await post(base + "/graphql", query, hs256(["vip"]))).json()
    assert before["data"] == {"accounts": [{"owner": "Ada", "note": None}]}
    assert after == {"data": {"accounts": [{"owner": "Ada", "note": "hi"}]}}
