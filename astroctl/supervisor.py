"""Runs the platform's processes (subgraphs, gateway, worker) as children, and stops them.

``astro dev`` and the end-to-end tests both use it, so what the tests exercise is what a
developer runs: separate processes talking real HTTP to each other and to real stores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from astro.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment variables that make a child process read ``settings``."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        # pydantic-settings reads lists and dicts as JSON.
        text = json.dumps(value) if isinstance(value, list | dict) else str(value)
        env[f"ASTRO_{name.upper()}"] = text
    return env


@dataclass
class Child:
    """One supervised process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]


@dataclass
class Supervisor:
    """Starts ``astro`` sub-commands as child processes sharing one ``Settings``."""

    settings: Settings
    log_dir: Path | None = None
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, args: list[str], url: str) -> Child:
        """Start ``astro ARGS`` as child ``name``; ``url`` is what it serves (for messages)."""
        env = {**os.environ, **settings_env(self.settings)}
        out: int | object = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "astroctl.cli", *args],
            env=env,
            stdout=out,  # type: ignore[arg-type]
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child = Child(name, url, process)
        self.children.append(child)
        return child

    def wait_healthy(self, child: Child, health_url: str, timeout: float = 60.0) -> None:
        """Block until ``health_url`` answers 200, or raise if the child dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.name} exited with code {child.process.returncode}")
            try:
                with urllib.request.urlopen(health_url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{child.name} did not become healthy at {health_url} in {timeout}s")

    def dead(self) -> list[Child]:
        """Children that have exited."""
        return [child for child in self.children if child.process.poll() is not None]

    def stop(self, grace: float = 10.0) -> None:
        """Stop every child (SIGTERM, then SIGKILL after ``grace`` seconds), newest first."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in reversed(self.children):
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.children.clear()
