"""astro dev's supervisor: a child that dies is started again, with a growing delay."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from astro.settings import Settings
from astroctl import devstack
from astroctl.supervisor import Supervisor


@pytest.fixture
def supervisor(settings: Settings, tmp_path: Path) -> Iterator[Supervisor]:
    running = Supervisor(settings, log_dir=tmp_path / "logs")
    try:
        yield running
    finally:
        running.stop()


def _tend_until(supervisor: Supervisor, done: object, timeout: float = 30) -> list[str]:
    events: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events += supervisor.tend()
        if callable(done) and done():
            return events
        time.sleep(0.05)
    raise AssertionError(f"not done within {timeout}s; events: {events}")


def test_a_killed_child_is_started_again_and_serves_again(supervisor: Supervisor) -> None:
    port = devstack.free_port()
    sink = supervisor.start("mailsink", ["mailsink", "--port", str(port)], f"smtp://:{port}")
    devstack.wait_for_port("127.0.0.1", port, 30, "the mail sink")
    first = sink.process.pid

    os.killpg(first, signal.SIGKILL)
    events = _tend_until(
        supervisor,
        lambda: sink.process.pid != first and devstack.port_open("127.0.0.1", port),
    )

    assert events[0].startswith("mailsink exited with code -9; starting it again in 1 s")
    assert events[1] == f"mailsink started again (pid {sink.process.pid})"
    assert supervisor.children == [sink]


def test_a_child_that_keeps_failing_waits_longer_each_time(supervisor: Supervisor) -> None:
    # ``astro subgraph nowhere`` exits at once: an unknown subgraph.
    child = supervisor.start("broken", ["subgraph", "nowhere"], "-")
    started = [child.process.pid]
    delays: list[str] = []

    def restarted_twice() -> bool:
        if child.process.pid != started[-1]:
            started.append(child.process.pid)
        return len(started) == 3

    for event in _tend_until(supervisor, restarted_twice):
        if "starting it again in" in event:
            delays.append(event.split("starting it again in ")[1].split(" ")[0])
    assert delays == ["1", "2"]


def test_stop_ends_every_child(supervisor: Supervisor) -> None:
    port = devstack.free_port()
    sink = supervisor.start("mailsink", ["mailsink", "--port", str(port)], "-")
    devstack.wait_for_port("127.0.0.1", port, 30, "the mail sink")
    supervisor.stop()
    assert sink.process.poll() is not None
    assert not devstack.port_open("127.0.0.1", port)
