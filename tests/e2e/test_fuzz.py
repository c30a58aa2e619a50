"""Generated GraphQL operations against the gateway must never produce a server error."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from tests.e2e.conftest import Gateway

schemathesis.graphql.scalar(
    "DateTime",
    st.sampled_from(["2031-06-01T12:00:00+00:00", "2020-01-01T00:00:00Z", "not a date"]).map(
        nodes.String
    ),
)
schemathesis.graphql.scalar(
    "Decimal", st.sampled_from(["1500.00", "0", "-3", "1e400", "abc"]).map(nodes.String)
)


def test_generated_operations_never_cause_a_server_error(platform: Gateway) -> None:
    graph = schemathesis.graphql.from_url(platform.url)
    strategy = graph.as_strategy()

    @given(case=strategy)
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def call(case: Any) -> None:
        response = case.call(timeout=30)
        assert response.status_code < 500, response.text
        body = response.json()
        codes = [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]
        assert "INTERNAL_SERVER_ERROR" not in codes, body

    call()
