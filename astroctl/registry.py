"""The platform's subgraphs, declared once.

The CLI (``astro subgraph NAME``), ``astro dev``, the worker, composition and the test fixtures
all read this tuple, so adding a subgraph is one package under ``subgraphs/`` plus one entry
here. The order is the dependency order of their demo data and worker start-up: identities
(system), then the ledger (admin), then the read model built from both (customer).

A subgraph package follows one pattern: ``schema.py`` (the Strawberry federation ``schema``),
``app.py`` (``create_app(settings)``), ``jobs.py`` (arq ``functions``, ``cron_jobs``,
``startup``, ``shutdown``), ``seed.py`` (``seed(settings)``, dev mode only).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, cast

from astro.settings import Settings

Store = Literal["postgres", "mongo"]


@dataclass(frozen=True, slots=True)
class SubgraphSpec:
    """One subgraph: where its code lives and what it needs to run."""

    name: str
    #: The port ``astro subgraph NAME`` listens on unless ``ASTRO_SUBGRAPH_PORTS__NAME`` says.
    default_port: int
    #: The store it owns (its ``store.py``): PostgreSQL or a MongoDB database.
    store: Store
    #: ``"module:function"`` inside the package applying its schema migrations, if it has any.
    migrations: str | None = None
    #: Whether its ``jobs.py`` sends the notifications (run by ``astro worker --notifications``).
    notifications: bool = False

    @property
    def package(self) -> str:
        """The Python package of the subgraph."""
        return f"subgraphs.{self.name}"

    def module(self, part: str) -> ModuleType:
        """The subgraph's module ``part`` (``schema``, ``app``, ``jobs``, ``seed``, …)."""
        return importlib.import_module(f"{self.package}.{part}")

    def port(self, settings: Settings) -> int:
        """The port this subgraph listens on under ``settings``."""
        return settings.subgraph_ports.get(self.name, self.default_port)

    def url(self, settings: Settings) -> str:
        """The GraphQL URL the gateway calls: ``ASTRO_SUBGRAPH_URLS__NAME`` or host and port."""
        explicit = settings.subgraph_urls.get(self.name)
        if explicit:
            return explicit
        return f"http://{settings.host}:{self.port(settings)}/graphql"

    def health_url(self, settings: Settings) -> str:
        """The subgraph's ``/healthz``, next to its ``/graphql``."""
        return self.url(settings).rsplit("/", 1)[0] + "/healthz"

    async def migrate(self, settings: Settings) -> None:
        """Apply the subgraph's migrations (nothing when it has none)."""
        if self.migrations is None:
            return
        module, _, function = self.migrations.partition(":")
        apply = cast(Callable[[Settings], Awaitable[Any]], getattr(self.module(module), function))
        await apply(settings)

    async def seed(self, settings: Settings) -> None:
        """Load the subgraph's demo data (idempotent)."""
        seed = cast(Callable[[Settings], Awaitable[Any]], self.module("seed").seed)
        await seed(settings)


SUBGRAPHS: tuple[SubgraphSpec, ...] = (
    SubgraphSpec("system", 4003, "mongo", notifications=True),
    SubgraphSpec("admin", 4002, "postgres", migrations="store:migrate"),
    SubgraphSpec("customer", 4001, "mongo"),
)

NAMES: tuple[str, ...] = tuple(spec.name for spec in SUBGRAPHS)


def subgraph(name: str) -> SubgraphSpec:
    """The subgraph called ``name``; ``LookupError`` naming the known ones otherwise."""
    for spec in SUBGRAPHS:
        if spec.name == name:
            return spec
    raise LookupError(f"unknown subgraph {name!r}; one of {', '.join(NAMES)}")
