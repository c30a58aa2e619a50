"""A small 'vault' subgraph with authorization directives, and gateways with an edge in front.

Everything runs over real HTTP: the subgraph and each gateway are served by uvicorn on free
ports; tokens are real JWTs (HS256 with a shared secret, RS256/ES256 from a JWKS file).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jwt
import strawberry
import strawberry.federation
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from strawberry.asgi import GraphQL

from gateway.app import create_app
from gateway.compose import Subgraph, compose
from gateway.config import GatewayConfig

SECRET = "edge-test-secret-0123456789abcdef0123456789"
ISSUER = "astrobookings"
AUDIENCE = "astrobookings"


# -- the vault subgraph --------------------------------------------------------------------------


@strawberry.federation.interface
class Item:
    id: strawberry.ID
    label: str


@strawberry.federation.type
class Coin(Item):
    metal: str


@strawberry.federation.type(authenticated=True)
class Secret(Item):
    code: str


@strawberry.federation.type
class Account:
    id: strawberry.ID
    owner: str
    balance: int = strawberry.federation.field(requires_scopes=[["invoices:read"]])
    iban: str | None = strawberry.federation.field(
        requires_scopes=[["invoices:read", "payments:write"], ["users:read"]]
    )
    note: str | None = strawberry.federation.field(policy=[["vip"]])


ITEMS: list[Item] = [
    Coin(id="c1", label="Gold", metal="gold"),
    Secret(id="s1", label="X", code="42"),
]
ACCOUNTS = [Account(id="a1", owner="Ada", balance=100, iban="DE00", note="hi")]


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"

    @strawberry.field
    def items(self) -> list[Item] | None:
        return ITEMS

    @strawberry.field
    def accounts(self) -> list[Account]:
        return ACCOUNTS

    @strawberry.federation.field(authenticated=True)
    def me(self) -> str | None:
        return "someone"

    @strawberry.federation.field(requires_scopes=[["users:read"]])
    def users(self) -> list[str]:
        return ["ada", "yuri"]

    @strawberry.federation.field(requires_scopes=[["invoices:read"]])
    def ledger(self) -> int:
        return 7

    @strawberry.federation.field(authenticated=True)
    def secret_by_id(self, id: strawberry.ID) -> str | None:
        return f"secret {id}"

    @strawberry.field
    def echo_header(self, info: strawberry.Info, name: str) -> str | None:
        return info.context["request"].headers.get(name)

    @strawberry.field
    async def slow(self) -> str | None:
        await asyncio.sleep(1.0)
        return "late"

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError("database password is hunter2")


@strawberry.type
class Mutation:
    @strawberry.field
    def login(self, email: str) -> str:
        return "token-for-" + email


class CountingGraphQL(GraphQL[Any, None]):
    """The subgraph app, counting the requests it serves."""

    def __init__(self) -> None:
        schema = strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Coin, Secret])
        super().__init__(schema, graphql_ide=None)
        self.calls = 0
        self.sdl = schema.as_str()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await super().__call__(scope, receive, send)


# -- serving -------------------------------------------------------------------------------------


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve(app: Any, lifespan: str = "off") -> AsyncIterator[str]:
    """Serve ``app`` over HTTP on a free port; the base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan=lifespan)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def vault_supergraph(url: str, sdl: str) -> str:
    return compose([Subgraph("vault", url, sdl)])


def edge_config(**overrides: Any) -> GatewayConfig:
    """An edge config for the tests: dev defaults, the test secret, no Redis unless given."""
    base: dict[str, Any] = {
        "jwt_secret": SECRET,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "redis_url": None,
    }
    base.update(overrides)
    return GatewayConfig(**base)


@asynccontextmanager
async def edge_gateway(supergraph: str, config: GatewayConfig) -> AsyncIterator[str]:
    """A gateway with ``config``'s edge in front of ``supergraph``; its /graphql URL."""
    async with serve(create_app(supergraph, config), lifespan="on") as base:
        yield base + "/graphql"


# -- tokens --------------------------------------------------------------------------------------


def claims(roles: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    out: dict[str, Any] = {
        "sub": "u-1",
        "email": "someone@astrobookings.dev",
        "roles": roles or [],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    out.update(extra)
    return out


def hs256(roles: list[str] | None = None, secret: str = SECRET, **extra: Any) -> str:
    return jwt.encode(claims(roles, **extra), secret, algorithm="HS256")


class Keys:
    """An RSA and an EC signing key, published as a JWKS file."""

    def __init__(self, directory: Path) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.path = directory / "jwks.json"
        self.publish(["rsa-1", "ec-1"])

    def jwk(self, kid: str) -> dict[str, Any]:
        if kid.startswith("rsa"):
            data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key()))
            data["alg"] = "RS256"
        else:
            data = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key()))
            data["alg"] = "ES256"
        data.update(kid=kid, use="sig")
        return data

    def publish(self, kids: list[str]) -> None:
        self.path.write_text(json.dumps({"keys": [self.jwk(k) for k in kids]}))

    def rs256(self, roles: list[str] | None = None, kid: str = "rsa-1", **extra: Any) -> str:
        return jwt.encode(claims(roles, **extra), self.rsa, algorithm="RS256", headers={"kid": kid})

    def es256(self, roles: list[str] | None = None, kid: str = "ec-1", **extra: Any) -> str:
        return jwt.encode(claims(roles, **extra), self.ec, algorithm="ES256", headers={"kid": kid})
