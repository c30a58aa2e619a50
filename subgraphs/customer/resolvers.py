"""The catalog's fields: filtered cursor pages and slug lookups (cached for visitors), batched
entity loads."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import cast

import orjson
from strawberry.dataloader import DataLoader

from astro.errors import BadUserInput, NotFound
from subgraphs.customer import cache, store
from subgraphs.customer.context import CustomerContext
from subgraphs.customer.store import CatalogFilter, LaunchDoc
from subgraphs.serving import Context

MAX_PAGE = 100
_LAUNCH_LOADER = "customer.launch"


def encode_cursor(launch: LaunchDoc) -> str:
    """The opaque cursor just past ``launch`` in catalog order (date, then id)."""
    key = f"{launch.launch_date.astimezone(UTC).isoformat()}|{launch.id}"
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (date, id) key in ``cursor``; ``BadUserInput`` when it is not one of ours."""
    try:
        date_text, _, launch_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        date = datetime.fromisoformat(date_text)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise BadUserInput(
            "`after` is not a valid cursor: pass the cursor of a launch from a previous page.",
            field="after",
        ) from exc
    if date.tzinfo is None or not launch_id:
        raise BadUserInput(
            "`after` is not a valid cursor: pass the cursor of a launch from a previous page.",
            field="after",
        )
    return date, launch_id


@dataclass(frozen=True, slots=True)
class CatalogPage:
    launches: list[LaunchDoc]
    has_next_page: bool


def _page_bytes(page: CatalogPage) -> bytes:
    return orjson.dumps(
        {
            "launches": [launch.model_dump(mode="json") for launch in page.launches],
            "has_next_page": page.has_next_page,
        }
    )


def _page_from_bytes(raw: bytes) -> CatalogPage:
    data = orjson.loads(raw)
    return CatalogPage(
        launches=[LaunchDoc.model_validate(launch) for launch in data["launches"]],
        has_next_page=bool(data["has_next_page"]),
    )


async def catalog_page(
    context: CustomerContext,
    *,
    catalog_filter: CatalogFilter,
    first: int,
    after: str | None,
) -> CatalogPage:
    """Up to ``first`` upcoming bookable launches with free seats, by date, after ``after``;
    visitors' pages come from the Redis cache."""
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(
            f"`first` must be between 1 and {MAX_PAGE} (got {first}).", field="first"
        )
    after_key = decode_cursor(after) if after is not None else None

    async def load() -> bytes:
        launches = await store.upcoming_launches(
            now=datetime.now(UTC), catalog_filter=catalog_filter, limit=first + 1, after=after_key
        )
        return _page_bytes(CatalogPage(launches[:first], len(launches) > first))

    if context.identity is not None:
        return _page_from_bytes(await load())
    key = f"page|{first}|{after}|{orjson.dumps(asdict(catalog_filter), default=str).decode()}"
    return _page_from_bytes(await cache.cached(context.redis, context.settings, key, load))


async def launch_by_slug(context: CustomerContext, slug: str) -> LaunchDoc:
    """The catalog entry with ``slug``; ``NotFound`` when there is none."""

    async def load() -> bytes:
        launch = await store.launch_by_slug(slug)
        return orjson.dumps(launch.model_dump(mode="json") if launch is not None else None)

    if context.identity is None:
        raw = await cache.cached(context.redis, context.settings, f"slug|{slug}", load)
    else:
        raw = await load()
    data = orjson.loads(raw)
    if data is None:
        raise NotFound(f"No launch has the slug {slug!r}; check the link or browse `launches`.")
    found: LaunchDoc = LaunchDoc.model_validate(data)
    return found


async def _load_launches(ids: list[str]) -> Sequence[LaunchDoc | None]:
    found = {launch.id: launch for launch in await store.launches_by_ids(list(set(ids)))}
    return [found.get(launch_id) for launch_id in ids]


def launch_loader(context: Context) -> DataLoader[str, LaunchDoc | None]:
    """This request's loader of catalog entries by id (one ``$in`` query per batch)."""
    loader = context.loaders.get(_LAUNCH_LOADER)
    if loader is None:
        loader = DataLoader(load_fn=_load_launches)
        context.loaders[_LAUNCH_LOADER] = loader
    return cast(DataLoader[str, LaunchDoc | None], loader)
