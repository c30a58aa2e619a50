"""The web portals on the gateway's origin: one endpoint, no CORS.

``clients/web`` builds four single-page apps; this ASGI wrapper serves each under its path and
hands everything of the gateway's own (``/graphql`` with its console, ``/healthz``, ``/readyz``,
``/metrics``, ``/console/``) to the gateway untouched. It lives in the application layer: the
gateway stays a gateway over any supergraph and knows nothing of these apps.

An unknown path inside an app answers the app's ``index.html`` (client-side routes such as
``/launches/artemis-7``); hashed bundles are cached for a year, ``index.html`` never.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

#: path prefix → the app's folder under the build output (``<dist>/<folder>/browser``).
PORTALS: dict[str, str] = {"/supplier": "supplier", "/staff": "staff", "/it": "it", "": "customer"}
GATEWAY_PATHS = ("/graphql", "/healthz", "/readyz", "/metrics", "/console/")


class SinglePageApp(StaticFiles):
    """Static files with the app's ``index.html`` for every path that is not a file."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or scope["method"] not in ("GET", "HEAD"):
                raise
            response = await super().get_response("index.html", scope)
        if response.media_type == "text/html" or path.endswith(".html") or path in ("", "."):
            response.headers["cache-control"] = "no-cache"
        else:
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


@dataclass(frozen=True, slots=True)
class _Portal:
    prefix: str
    files: SinglePageApp


class WithPortals:
    """``gateway`` plus the built portals found under ``dist`` (those not built are skipped)."""

    def __init__(self, gateway: ASGIApp, dist: Path) -> None:
        self.gateway = gateway
        self.portals = [
            _Portal(prefix, SinglePageApp(directory=dist / folder / "browser", html=True))
            for prefix, folder in PORTALS.items()
            if (dist / folder / "browser" / "index.html").is_file()
        ]
        built = {portal.prefix for portal in self.portals}
        self.unbuilt = tuple(p for p in PORTALS if p and p not in built)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(GATEWAY_PATHS) or not self.portals:
            await self.gateway(scope, receive, send)
            return
        for portal in self.portals:
            prefix = portal.prefix
            if not prefix and any(_under(path, other) for other in self.unbuilt):
                break  # another portal's path, not built: not the customer app's page
            if not prefix or _under(path, prefix):
                if prefix and path == prefix:  # /supplier → /supplier/ (relative assets)
                    await Response(status_code=308, headers={"location": prefix + "/"})(
                        scope, receive, send
                    )
                    return
                inner = {**scope, "root_path": scope.get("root_path", "") + prefix}
                await portal.files(inner, receive, send)
                return
        await self.gateway(scope, receive, send)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def portals_found(dist: Path) -> list[str]:
    """The portals built under ``dist`` (for start-up messages)."""
    return [
        prefix or "/"
        for prefix, folder in PORTALS.items()
        if (dist / folder / "browser" / "index.html").is_file()
    ]
