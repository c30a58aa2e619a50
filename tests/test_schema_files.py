from __future__ import annotations

from pathlib import Path

from astro.settings import Settings
from astroctl.graph import api_sdl, compose_supergraph, subgraph_sdl
from astroctl.registry import NAMES

SCHEMA = Path(__file__).resolve().parent.parent / "schema"


def test_committed_subgraph_sdls_match_the_code() -> None:
    for name in NAMES:
        committed = (SCHEMA / f"{name}.graphql").read_text()
        assert committed == subgraph_sdl(name), f"schema/{name}.graphql is stale: run astro compose"


def test_committed_supergraph_is_the_composition_of_the_subgraphs() -> None:
    committed = (SCHEMA / "supergraph.graphql").read_text()
    assert committed == compose_supergraph(Settings.model_construct()), (
        "schema/supergraph.graphql is stale: run astro compose"
    )


def test_committed_api_schema_is_the_one_the_gateway_serves() -> None:
    committed = (SCHEMA / "api.graphql").read_text()
    assert committed == api_sdl((SCHEMA / "supergraph.graphql").read_text()), (
        "schema/api.graphql is stale: run astro compose"
    )
    assert "join__" not in committed and "type Query" in committed
