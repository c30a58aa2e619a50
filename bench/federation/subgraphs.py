"""Four subgraphs for the gateway benchmark: products, inventory, reviews, accounts.

The graph has entity jumps (Product by ``upc`` into inventory and reviews, User by ``id`` into
accounts), a ``@requires`` (``shippingEstimate`` needs ``price weight``) and a ``@provides``
(``Review.author`` provides ``username``). Each subgraph answers through Strawberry once per
distinct request body and then from a response cache, so that under load the subgraphs cost
almost nothing and the benchmark measures the gateways, not the subgraphs.

Run: ``uv run python bench/federation/subgraphs.py`` (ports 4101-4104).
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
import uvicorn
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

PRODUCTS = 40
REVIEWS_PER_PRODUCT = 6
USERS = 25

PORTS = {"products": 4101, "inventory": 4102, "reviews": 4103, "accounts": 4104}


def _upc(i: int) -> str:
    return f"upc-{i:04d}"


# --- products --------------------------------------------------------------------------------


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    name: str
    price: int
    weight: int

    @classmethod
    def resolve_reference(cls, upc: str) -> Product:
        return _product(int(upc.split("-")[1]))


def _product(i: int) -> Product:
    return Product(
        upc=_upc(i),
        name=f"Product number {i} with a long name",
        price=100 + i * 7,
        weight=10 + i % 13,
    )


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int = 5) -> list[Product]:
        return [_product(i) for i in range(min(first, PRODUCTS))]


products_schema = strawberry.federation.Schema(query=ProductsQuery, types=[Product])


# --- inventory -------------------------------------------------------------------------------


@strawberry.federation.type(keys=["upc"], name="Product")
class InventoryProduct:
    upc: str
    price: int = strawberry.federation.field(external=True)
    weight: int = strawberry.federation.field(external=True)

    @strawberry.field
    def in_stock(self) -> bool:
        return int(self.upc.split("-")[1]) % 3 != 0

    @strawberry.federation.field(requires=["price weight"])
    def shipping_estimate(self) -> int:
        return 0 if self.price > 300 else self.weight // 2

    @classmethod
    def resolve_reference(cls, upc: str, price: int = 0, weight: int = 0) -> InventoryProduct:
        return InventoryProduct(upc=upc, price=price, weight=weight)


@strawberry.type
class InventoryQuery:
    @strawberry.field
    def warehouse_count(self) -> int:
        return 3


inventory_schema = strawberry.federation.Schema(query=InventoryQuery, types=[InventoryProduct])


# --- reviews ---------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="User")
class ReviewUser:
    id: strawberry.ID
    username: str = strawberry.federation.field(external=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewUser:
        return ReviewUser(id=id, username=f"user{id}")


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID
    body: str
    author_id: strawberry.Private[int]

    @strawberry.federation.field(provides=["username"])
    def author(self) -> ReviewUser:
        return ReviewUser(id=strawberry.ID(str(self.author_id)), username=f"user{self.author_id}")


@strawberry.federation.type(keys=["upc"], name="Product")
class ReviewedProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review]:
        i = int(self.upc.split("-")[1])
        return [
            Review(
                id=strawberry.ID(f"{i}-{j}"),
                body=f"Review {j} of product {i}: it did what it said on the tin, mostly.",
                author_id=(i * REVIEWS_PER_PRODUCT + j) % USERS,
            )
            for j in range(REVIEWS_PER_PRODUCT)
        ]

    @classmethod
    def resolve_reference(cls, upc: str) -> ReviewedProduct:
        return ReviewedProduct(upc=upc)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def review_count(self) -> int:
        return PRODUCTS * REVIEWS_PER_PRODUCT


reviews_schema = strawberry.federation.Schema(
    query=ReviewsQuery, types=[ReviewedProduct, Review, ReviewUser]
)


# --- accounts --------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str
    username: str = strawberry.federation.field(shareable=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return User(id=id, name=f"User Number {id}", username=f"user{id}")


@strawberry.type
class AccountsQuery:
    @strawberry.field
    def me(self) -> User:
        return User.resolve_reference(strawberry.ID("1"))


accounts_schema = strawberry.federation.Schema(query=AccountsQuery, types=[User])

SCHEMAS: dict[str, strawberry.Schema] = {
    "products": products_schema,
    "inventory": inventory_schema,
    "reviews": reviews_schema,
    "accounts": accounts_schema,
}


class ResponseCache:
    """Answers a repeated request body from memory; the first one goes through Strawberry."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cache: dict[bytes, tuple[list[tuple[bytes, bytes]], bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        hit = self.cache.get(body)
        if hit is None:
            start: dict[str, Any] = {}
            chunks: list[bytes] = []

            async def replay() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def capture(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                else:
                    chunks.append(message.get("body", b""))

            await self.app(scope, replay, capture)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            hit = (headers, b"".join(chunks))
            if start["status"] == 200:
                self.cache[body] = hit
        headers, payload = hit
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def serve_all(host: str = "127.0.0.1") -> None:
    """Serve the four subgraphs until cancelled."""
    servers = []
    for name, schema in SCHEMAS.items():
        app = ResponseCache(GraphQL(schema, graphql_ide=None))
        config = uvicorn.Config(
            app,
            host=host,
            port=PORTS[name],
            log_level="warning",
            loop="uvloop",
            http="httptools",
            access_log=False,
        )
        servers.append(uvicorn.Server(config))
    await asyncio.gather(*(server.serve() for server in servers))


if __name__ == "__main__":
    import uvloop

    uvloop.run(serve_all())
