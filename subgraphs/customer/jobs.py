"""arq jobs of the customer subgraph: the launch catalog sync from the admin outbox."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field

from astro.settings import Settings, get_settings
from subgraphs.customer.store import (
    ApplyOutcome,
    CatalogStatus,
    LaunchDoc,
    RocketInfo,
    SpaceportInfo,
    SupplierInfo,
    apply_launch_change,
    init_store,
)

log = logging.getLogger(__name__)


def _refuse_float(value: object) -> object:
    # The contract sends prices as decimal strings; a float has already lost cents.
    if isinstance(value, float):
        raise ValueError("price_per_seat must be a decimal string, not a float")
    return value


class LaunchSnapshot(BaseModel):
    """A launch's state as the admin outbox publishes it."""

    id: str
    slug: str
    destination: str
    launch_date: AwareDatetime
    price_per_seat: Annotated[Decimal, BeforeValidator(_refuse_float), Field(gt=0)]
    total_seats: int = Field(ge=0)
    seats_sold: int = Field(ge=0)
    status: CatalogStatus
    rocket: RocketInfo
    supplier: SupplierInfo
    spaceport: SpaceportInfo
    version: int

    def to_document(self) -> LaunchDoc:
        """The catalog entry of a launch first seen in this state."""
        return LaunchDoc(
            **self.model_dump(),
            seats_left=self.total_seats - self.seats_sold,
        )


class LaunchEvent(BaseModel):
    """An admin outbox event about a launch (the sync contract with the admin subgraph)."""

    event_id: str = Field(min_length=1)
    topic: Literal["launch.scheduled", "launch.updated"]
    launch: LaunchSnapshot


async def apply_launch_event(ctx: dict[str, Any], event: dict[str, Any]) -> ApplyOutcome:
    """Apply an admin launch event to the catalog, idempotently by ``event_id``.

    Returns what happened: ``inserted``, ``updated``, ``stale`` (older than the catalog entry) or
    ``duplicate`` (already applied). A malformed event raises ``pydantic.ValidationError``.
    """
    parsed = LaunchEvent.model_validate(event)
    outcome = await apply_launch_change(parsed.event_id, parsed.topic, parsed.launch.to_document())
    log.info(
        "launch event %s (%s, launch %s v%d): %s",
        parsed.event_id,
        parsed.topic,
        parsed.launch.id,
        parsed.launch.version,
        outcome,
    )
    return outcome


async def startup(ctx: dict[str, Any]) -> None:
    """Worker startup: bind the catalog store; its client goes in ``ctx["customer"]``."""
    settings = ctx.get("settings")
    if not isinstance(settings, Settings):
        settings = get_settings()
    ctx["customer"] = await init_store(settings)


async def shutdown(ctx: dict[str, Any]) -> None:
    """Worker shutdown: close the client opened by :func:`startup`."""
    client = ctx.pop("customer", None)
    if client is not None:
        await client.close()


functions = [apply_launch_event]
cron_jobs: list[Any] = []
