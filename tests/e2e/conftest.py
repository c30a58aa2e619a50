"""The whole platform as separate processes: three subgraphs, a worker and the gateway."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from astro.settings import Settings
from astroctl import devstack
from astroctl.cli import prepare_stores
from astroctl.graph import compose_supergraph
from astroctl.mailsink import MailSink
from astroctl.platform import start_platform
from astroctl.supervisor import Supervisor


class Gateway:
    """A GraphQL client of the running gateway."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=30)

    def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """POST ``query``; the decoded JSON answer."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = self.http.post(self.url, json=body, headers=headers)
        result: dict[str, Any] = response.json()
        return result

    def login(self, email: str, password: str) -> str:
        """An access token for ``email``."""
        result = self.post(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            {"e": email, "p": password},
        )
        assert "errors" not in result, result
        token: str = result["data"]["login"]["accessToken"]
        return token


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Iterator[Settings]:
    """The session's servers under names of the platform's own (database, queues, log list).

    The platform's worker relays every unpublished outbox row of its database each second: on a
    database shared with the subgraph tests it would publish their rows under their feet.
    """
    assert settings.postgres_url
    database = settings.postgres_url.rsplit("/", 1)[1]
    postgres_url = devstack.with_database(settings.postgres_url, f"{database}_e2e")
    devstack.ensure_database(postgres_url)
    try:
        yield settings.model_copy(
            update={
                "postgres_url": postgres_url,
                "customer_db": f"{settings.customer_db}_e2e",
                "system_db": f"{settings.system_db}_e2e",
                "queue_name": f"{settings.queue_name}:e2e",
                "log_list": f"{settings.log_list}:e2e",
                # every process says when it is up (``astroctl/serve.py``)
                "log_ship_info_loggers": ["astro.process"],
            }
        )
    finally:
        devstack.drop_database(postgres_url)


@pytest.fixture(scope="session")
def platform_mail() -> Iterator[MailSink]:
    """The SMTP server the platform's notifications go to (real SMTP, kept in memory)."""
    with MailSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def platform(
    settings: Settings, platform_mail: MailSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """The platform running on this session's stores, with demo data; the gateway client."""
    data = tmp_path_factory.mktemp("platform")
    asyncio.run(prepare_stores(settings, seed=True))
    supergraph = Path(data / "supergraph.graphql")
    supergraph.write_text(compose_supergraph(settings))
    supervisor = Supervisor(
        settings.model_copy(update={"smtp_url": platform_mail.url}), log_dir=data / "logs"
    )
    try:
        url = start_platform(supervisor, supergraph)
        yield Gateway(url)
    finally:
        supervisor.stop()


T = TypeVar("T")


def wait_for(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 30) -> T:
    """``read()`` again until ``done`` says so or ``timeout`` seconds passed; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
