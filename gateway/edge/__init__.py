"""The gateway's edge: an ordered list of stages around the engine, each its own module.

In order, as hooks the engine runs (``gateway/hooks.py``):

1. ``csrf``: CSRF prevention (before the body is read)
2. ``body``: the GraphQL request out of the HTTP body or URL, with the body size limit
3. ``authentication``: the caller's token (401 ``UNAUTHENTICATED``)
4. ``rate_limits.RateLimit``: the caller's bucket (429 ``RATE_LIMITED``)
5. ``persisted_queries``: APQ and the safelist (the query text)
6. ``introspection``: the introspection policy (a validation rule)
7. ``limits``: the token limit (before parsing) and the depth, alias, root-field and cost rules
8. ``rate_limits.LoginRateLimit``: the stricter bucket of login operations
9. ``headers``: the headers subgraphs receive
10. ``authorization``: the caller's authorization profile (the engine filters the operation)

then the application's own hooks. Around them the server (``server.py``) handles the request id,
CORS (``cors.py``), tracing (``gateway/tracing.py``), metrics, error masking (``masking.py``),
probes and the console; the engine's subgraph client is ``client.py`` (timeouts, fetch metrics).
Each stage reads its own settings from :class:`~gateway.config.GatewayConfig`
(``from_config``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..api_schema import build_api_schema
from ..cache import CacheStats
from ..config import GatewayConfig
from ..engine import Engine
from ..hooks import Hook, Hooks
from ..metrics import Metrics
from ..supergraph import parse_supergraph
from ..tracing import Tracing
from .authentication import Authentication
from .authorization import FieldAuthorization
from .body import Body
from .client import InstrumentedClient
from .cors import Cors
from .csrf import Csrf
from .headers import HeaderPropagation
from .introspection import IntrospectionPolicy
from .limits import OperationLimits
from .masking import ErrorMasking
from .persisted_queries import Persisted
from .rate_limits import LoginRateLimit, RateLimit
from .server import EdgeApp

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider
    from redis.asyncio import Redis

    from ..authorization import Policy

__all__ = ["EdgeApp", "InstrumentedClient", "create_edge_app"]


def create_edge_app(
    supergraph_sdl: str,
    config: GatewayConfig,
    *,
    hooks: Sequence[Hook] = (),
    policies: Mapping[str, Policy] | None = None,
    redis: Redis | None = None,
    tracer_provider: TracerProvider | None = None,
) -> EdgeApp:
    """The ASGI app serving ``supergraph_sdl`` behind the edge configured by ``config``.

    ``hooks`` run after the edge's stages; ``policies`` decide ``@policy`` names (as do the
    hooks' ``policies()``). ``tracer_provider``: the OpenTelemetry provider of the spans (when
    tracing is on) instead of the one ``ASTRO_GATEWAY_TRACING_EXPORTER`` sets up."""
    config = config.resolved()
    supergraph = parse_supergraph(supergraph_sdl)
    schema = build_api_schema(supergraph.document)
    metrics = Metrics()
    tracing = Tracing.create(config, tracer_provider)
    if redis is None and config.redis_url:
        from redis.asyncio import Redis as _Redis

        redis = _Redis.from_url(config.redis_url)
    authentication = Authentication.from_config(config)
    authorization = FieldAuthorization.from_config(
        config, supergraph.document, schema, {**(policies or {}), **Hooks(hooks).policies()}
    )
    persisted = Persisted.from_config(config, redis)
    limits = OperationLimits.from_config(config, schema, supergraph.document)
    stages = [
        Csrf.from_config(config),
        Body.from_config(config),
        authentication,
        RateLimit.from_config(config, redis, metrics),
        persisted,
        IntrospectionPolicy.from_config(config),
        limits,
        LoginRateLimit.from_config(config, redis, metrics),
        HeaderPropagation.from_config(config, authentication.verifier),
        authorization,
    ]
    client = InstrumentedClient(
        supergraph.graphs,
        timeout=config.subgraph_timeout_seconds,
        timeouts=config.subgraph_timeouts,
        metrics=metrics,
    )
    engine = Engine(
        supergraph,
        api_schema=schema,
        client=client,
        tracing=tracing,
        hooks=[*(s for s in stages if s is not None), *hooks],
        suggestions=bool(config.introspection),
    )
    caches: dict[str, CacheStats] = {
        "authorization": authorization.authorizer.cache,
        "apq": persisted.store.local,
        "verified_tokens": authentication.verifier.verified,
    }
    if authentication.verifier.jwks is not None:
        caches["forwarded_tokens"] = authentication.verifier.forwarded
    if persisted.safelist is not None:
        caches["safelist"] = persisted.safelist.checked
    if limits is not None and limits.limits.max_tokens:
        caches["tokens"] = limits.limits.tokens
    return EdgeApp(
        engine,
        config,
        metrics=metrics,
        tracing=tracing,
        cors=Cors(config.cors_origins or [], allow_credentials=config.cors_allow_credentials),
        masking=ErrorMasking(mask=bool(config.mask_errors), metrics=metrics),
        authorization=authorization,
        caches=caches,
        redis=redis,
    )
