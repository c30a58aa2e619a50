"""The platform's own graph: its subgraphs' SDLs and the supergraph composed from them."""

from __future__ import annotations

import re
from pathlib import Path

from astro.settings import Settings
from astroctl.registry import SUBGRAPHS, subgraph

SCHEMA_DIR = Path("schema")

_JOIN_GRAPH = re.compile(r'@join__graph\(name: "(?P<name>[^"]+)", url: "(?P<url>[^"]*)"\)')


def subgraph_sdl(name: str) -> str:
    """The SDL subgraph ``name`` serves at ``_service { sdl }``."""
    sdl: str = subgraph(name).module("schema").schema.as_str()
    return sdl.rstrip() + "\n"


def compose_supergraph(settings: Settings) -> str:
    """The supergraph of the platform's subgraphs at the URLs ``settings`` gives them."""
    from gateway.compose import Subgraph, compose

    return compose(
        [Subgraph(spec.name, spec.url(settings), subgraph_sdl(spec.name)) for spec in SUBGRAPHS]
    )


def write_schema_files(settings: Settings, directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write each subgraph's SDL and the composed supergraph into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SUBGRAPHS:
        path = directory / f"{spec.name}.graphql"
        path.write_text(subgraph_sdl(spec.name))
        written.append(path)
    supergraph = compose_supergraph(settings)
    path = directory / "supergraph.graphql"
    path.write_text(supergraph)
    written.append(path)
    path = directory / "api.graphql"
    path.write_text(api_sdl(supergraph))
    written.append(path)
    return written


def api_sdl(supergraph_sdl: str) -> str:
    """The API schema clients see (no federation machinery, no ``@inaccessible`` parts): what
    the web portals' and the SDK's code generators read."""
    from graphql import print_schema

    from gateway.api_schema import build_api_schema
    from gateway.supergraph import parse_supergraph

    schema = build_api_schema(parse_supergraph(supergraph_sdl).document)
    return print_schema(schema).rstrip() + "\n"


def with_subgraph_urls(supergraph_sdl: str, urls: dict[str, str]) -> str:
    """``supergraph_sdl`` with the URL of each subgraph named in ``urls`` replaced."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        url = urls.get(name, match["url"])
        return f'@join__graph(name: "{name}", url: "{url}")'

    return _JOIN_GRAPH.sub(replace, supergraph_sdl)
