"""The gateway console: GraphiQL with the explorer plugin and a login helper, served locally.

GraphiQL, React and the explorer are npm packages declared in ``package.json`` and installed at
build time (``npm install --no-package-lock`` here, into the gitignored ``node_modules``); nothing
is fetched from a CDN, so the console works on an air-gapped network. When they are not
installed the gateway serves the minimal self-written console (``index.html``) instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

__all__ = ["console_asset", "console_page", "graphiql_installed"]

_HERE = Path(__file__).parent
_MODULES = _HERE / "node_modules"

#: URL name under /console/ → (file, content type); nothing else is served.
_ASSETS: dict[str, tuple[Path, bytes]] = {
    "react.js": (_MODULES / "react/umd/react.production.min.js", b"text/javascript"),
    "react-dom.js": (_MODULES / "react-dom/umd/react-dom.production.min.js", b"text/javascript"),
    "graphiql.js": (_MODULES / "graphiql/graphiql.min.js", b"text/javascript"),
    "graphiql.css": (_MODULES / "graphiql/graphiql.min.css", b"text/css"),
    "explorer.js": (_MODULES / "@graphiql/plugin-explorer/dist/index.umd.js", b"text/javascript"),
    "explorer.css": (_MODULES / "@graphiql/plugin-explorer/dist/style.css", b"text/css"),
    "console.js": (_HERE / "console.js", b"text/javascript"),
    "console.css": (_HERE / "console.css", b"text/css"),
}


def graphiql_installed() -> bool:
    """Whether the npm packages of the full console are installed."""
    return all(path.is_file() for path, _ in _ASSETS.values())


@lru_cache(maxsize=2)
def _page(full: bool) -> bytes:
    name = "graphiql.html" if full else "index.html"
    return (_HERE / name).read_bytes()


def console_page() -> bytes:
    """The HTML of the console: GraphiQL when installed, the minimal console otherwise."""
    return _page(graphiql_installed())


@lru_cache(maxsize=16)
def console_asset(name: str) -> tuple[bytes, bytes] | None:
    """The bytes and content type of the console asset ``name`` (``None`` if unknown)."""
    entry = _ASSETS.get(name)
    if entry is None or not entry[0].is_file():
        return None
    return entry[0].read_bytes(), entry[1] + b"; charset=utf-8"
