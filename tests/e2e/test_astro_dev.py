from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from astro.settings import Settings
from astroctl import devstack


def test_astro_dev_serves_the_catalog_and_ctrl_c_stops_everything(
    settings: Settings, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    assert settings.postgres_url
    postgres_url = devstack.with_database(settings.postgres_url, f"astro_dev_{run}")
    devstack.ensure_database(postgres_url)
    ports = {
        name: devstack.free_port()
        for name in ("gateway", "customer", "admin", "system", "smtp_sink")
    }
    env = {
        **os.environ,
        "ASTRO_POSTGRES_URL": postgres_url,
        "ASTRO_MONGO_URL": str(settings.mongo_url),
        "ASTRO_REDIS_URL": str(settings.redis_url),
        "ASTRO_CUSTOMER_DB": f"dev_customer_{run}",
        "ASTRO_SYSTEM_DB": f"dev_system_{run}",
        "ASTRO_QUEUE_NAME": f"astro-dev-test:{run}",
        "ASTRO_GATEWAY_PORT": str(ports["gateway"]),
        "ASTRO_SMTP_SINK_PORT": str(ports["smtp_sink"]),
        **{
            f"ASTRO_SUBGRAPH_PORTS__{name.upper()}": str(ports[name])
            for name in ("customer", "admin", "system")
        },
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "astroctl.cli", "dev", "--data-dir", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        for line in proc.stdout:
            output.append(line)
            if "AstroBookings is up" in line or time.monotonic() > deadline:
                break
        text = "".join(output)
        assert "AstroBookings is up" in text, text
        assert (
            "(ASTRO_POSTGRES_URL)" in text and "(ASTRO_MONGO_URL)" in text
        )  # where stores came from
        assert f"http://127.0.0.1:{ports['gateway']}/graphql" in text
        # No ASTRO_SMTP_URL: a local mail sink takes the notifications' mail.
        assert f"smtp://127.0.0.1:{ports['smtp_sink']}" in text

        for name, port in ports.items():  # each on the port its setting gives it
            assert devstack.port_open("127.0.0.1", port), f"{name} is not on port {port}"
        url = f"http://127.0.0.1:{ports['gateway']}/graphql"
        query = "{ launches { destination rocket { name } supplier { name } } }"
        launches: list[dict[str, object]] = []
        for _ in range(200):
            answer = httpx.post(url, json={"query": query}, timeout=10).json()
            assert "errors" not in answer, answer
            launches = answer["data"]["launches"]
            if launches:
                break
            time.sleep(0.1)
        assert launches and all(item["rocket"] and item["supplier"] for item in launches)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    for name, port in ports.items():
        assert not devstack.port_open("127.0.0.1", port), f"{name} still listening after Ctrl-C"
