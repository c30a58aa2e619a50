"""Runs the platform's processes (subgraphs, gateway, worker) as children, and stops them.

``astro dev`` and the end-to-end tests both use it, so what the tests exercise is what a
developer runs: separate processes talking real HTTP to each other and to real stores.

A child that exits is started again (:meth:`Supervisor.tend`), after a delay that doubles with
each quick failure (1 s up to 30 s; a child that ran a minute counts as healthy again): one
crashed worker or subgraph must not take the rest of the platform down, and a child that cannot
start must not spin. Only :meth:`Supervisor.stop` (Ctrl-C in ``astro dev``) stops them all.
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


RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
STABLE_AFTER_SECONDS = 60.0


@dataclass
class Child:
    """One supervised process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    args: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    #: Quick failures in a row (the next restart waits longer for each).
    failures: int = 0
    #: When an exited child is started again (``None`` while it runs).
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Starts ``astro`` sub-commands as child processes sharing one ``Settings``."""

    settings: Settings
    log_dir: Path | None = None
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, args: list[str], url: str) -> Child:
        """Start ``astro ARGS`` as child ``name``; ``url`` is what it serves (for messages)."""
        child = Child(name, url, self._spawn(name, args), list(args))
        self.children.append(child)
        return child

    def tend(self) -> list[str]:
        """Start again the children that exited, each once its back-off delay has passed;
        returns what happened, for the console (nothing when all is well)."""
        now = time.monotonic()
        events: list[str] = []
        for child in self.children:
            code = child.process.poll()
            if code is None:
                if child.failures and now - child.started > STABLE_AFTER_SECONDS:
                    child.failures = 0
                continue
            if child.restart_at is None:
                delay = min(RESTART_MAX_DELAY, RESTART_FIRST_DELAY * 2**child.failures)
                child.restart_at = now + delay
                events.append(
                    f"{child.name} exited with code {code}; starting it again in {delay:.0f} s"
                    + (f" (logs/{child.name}.log)" if self.log_dir is not None else "")
                )
            elif now >= child.restart_at:
                child.process = self._spawn(child.name, child.args)
                child.started = now
                child.failures += 1
                child.restart_at = None
                events.append(f"{child.name} started again (pid {child.process.pid})")
        return events

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        env = {**os.environ, **settings_env(self.settings)}
        command = [sys.executable, "-m", "astroctl.cli", *args]
        if self.log_dir is None:
            return subprocess.Popen(
                command,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{name}.log", "ab") as out:  # the child keeps its own copy
            return subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

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
