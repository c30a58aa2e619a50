"""What the customer subgraph's fields do: catalog paging, slug lookup, batched entity loads."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

from strawberry.dataloader import DataLoader

from astro.errors import BadUserInput, NotFound
from subgraphs.customer import store
from subgraphs.customer.store import LaunchDoc
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


async def catalog_page(
    *, destination: str | None, first: int, after: str | None
) -> list[LaunchDoc]:
    """Up to ``first`` upcoming bookable launches with free seats, by date, after ``after``."""
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(
            f"`first` must be between 1 and {MAX_PAGE} (got {first}).", field="first"
        )
    return await store.upcoming_launches(
        now=datetime.now(UTC),
        destination=destination,
        limit=first,
        after=decode_cursor(after) if after is not None else None,
    )


async def launch_by_slug(slug: str) -> LaunchDoc:
    """The catalog entry with ``slug``; ``NotFound`` when there is none."""
    launch = await store.launch_by_slug(slug)
    if launch is None:
        raise NotFound(f"No launch has the slug {slug!r}; check the link or browse `launches`.")
    return launch


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
