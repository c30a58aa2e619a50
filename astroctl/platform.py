"""The platform's processes in their start-up order, for ``astro dev`` and the end-to-end tests.

One function starts them so that what the tests run is exactly what a developer runs: every
subgraph of the registry, the worker (and the notification worker on a queue of its own), then
the gateway once the subgraphs answer.
"""

from __future__ import annotations

from pathlib import Path

from astroctl.registry import SUBGRAPHS
from astroctl.supervisor import Supervisor


def start_platform(supervisor: Supervisor, supergraph: Path) -> str:
    """Start every process of the platform under ``supervisor``, wait until each subgraph and
    the gateway are healthy, and return the gateway's GraphQL URL."""
    settings = supervisor.settings
    subgraphs = [
        (supervisor.start(spec.name, ["subgraph", spec.name], spec.url(settings)), spec)
        for spec in SUBGRAPHS
    ]
    supervisor.start("worker", ["worker"], "arq queue " + settings.queue_name)
    if settings.notification_queue != settings.queue_name:
        supervisor.start(
            "notifier", ["worker", "--notifications"], "arq queue " + settings.notification_queue
        )
    for child, spec in subgraphs:
        supervisor.wait_healthy(child, spec.health_url(settings))
    url = f"http://{settings.host}:{settings.gateway_port}/graphql"
    gateway = supervisor.start(
        "gateway",
        ["gateway", "--supergraph", str(supergraph), "--port", str(settings.gateway_port)],
        url,
    )
    supervisor.wait_healthy(gateway, url.rsplit("/", 1)[0] + "/healthz")
    return url
