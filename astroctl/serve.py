"""How every ``astro`` process sets up its logging and serves its ASGI app.

Order matters: uvicorn, left to itself, applies its own ``dictConfig``, which closes every
handler installed before it — the platform-log shipper among them, so a gateway's or a
subgraph's warnings and errors reached neither ``logs`` nor the process's own output. Here the
process configures logging once (a console handler, then the shipper) and tells uvicorn to keep
its hands off (``log_config=None``); uvicorn's loggers then propagate to ours.

Each process also says, on the ``astro.process`` logger at INFO, when it is up: what runs
where. Ship that logger (``ASTRO_LOG_SHIP_INFO_LOGGERS='["astro.process"]'``) and IT sees every
process start in the platform log.
"""

from __future__ import annotations

import logging
import logging.config
import os
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from astro.logshipping import ship_logs
from astro.settings import Settings

PROCESS_LOG = logging.getLogger("astro.process")

_CONSOLE: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "WARNING", "handlers": ["console"]},
    "loggers": {"astro.process": {"level": "INFO"}},
}


def configure_logging(settings: Settings, source: str, also: dict[str, Any] | None = None) -> None:
    """Console output for the process, then its warnings and errors shipped to the platform
    log as ``source`` (``logs`` query). ``also``: another ``dictConfig`` to merge in (its
    formatters, handlers, loggers), e.g. arq's. Call once: a later ``dictConfig`` would close
    the shipper."""
    config: dict[str, Any] = {
        key: dict(value) if isinstance(value, dict) else value for key, value in _CONSOLE.items()
    }
    for section in ("formatters", "handlers", "loggers"):
        config[section].update((also or {}).get(section, {}))
    logging.config.dictConfig(config)
    ship_logs(
        settings.redis_url,
        source,
        level=settings.log_ship_level,
        info_loggers=settings.log_ship_info_loggers,
        list_key=settings.log_list,
    )


def announce(source: str, where: str) -> None:
    """Say in the logs that process ``source`` is up."""
    PROCESS_LOG.info("%s is up: %s (pid %d)", source, where, os.getpid())


def announced(asgi: ASGIApp, source: str, where: str) -> ASGIApp:
    """``asgi`` saying :func:`announce` once its lifespan start-up completed."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await asgi(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            await send(message)
            if message["type"] == "lifespan.startup.complete":
                announce(source, where)

        await asgi(scope, receive, sending)

    return app


def serve(asgi: ASGIApp, source: str, host: str, port: int) -> None:
    """Serve ``asgi`` with uvicorn (uvloop + httptools) on ``host:port``, keeping the logging
    :func:`configure_logging` set up."""
    import uvicorn

    uvicorn.run(
        announced(asgi, source, f"http://{host}:{port}"),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        log_level="warning",
        lifespan="on",
    )
