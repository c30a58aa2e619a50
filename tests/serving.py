"""Serve an ASGI app over real HTTP inside the test session's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

from astroctl.devstack import free_port


class _QuietServer(uvicorn.Server):
    # Leave Ctrl-C to pytest.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve(app: Any, *, start_within: float = 30.0) -> AsyncIterator[str]:
    """Run ``app`` (lifespan on) on a free port; yields its base URL, stops it on exit."""
    port = free_port()
    server = _QuietServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + start_within
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped before it started")
        if asyncio.get_running_loop().time() > deadline:
            task.cancel()
            raise RuntimeError(f"the server did not start within {start_within:.0f}s")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
