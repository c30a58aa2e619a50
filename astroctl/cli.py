"""The ``astro`` command: run the platform, or any one of its parts."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from starlette.types import ASGIApp

from astro.settings import ConfigurationError, Settings, get_settings
from astroctl import devstack
from astroctl.registry import NAMES, SUBGRAPHS, SubgraphSpec
from astroctl.registry import subgraph as subgraph_spec
from astroctl.serve import announce, configure_logging, serve

app = typer.Typer(help="AstroBookings: one GraphQL endpoint over federated subgraphs.")


def _settings() -> Settings:
    """The process's settings; in production, a clear refusal (exit 2) on dev-only defaults."""
    try:
        return get_settings()
    except ConfigurationError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _spec(name: str) -> SubgraphSpec:
    try:
        return subgraph_spec(name)
    except LookupError as exc:
        raise typer.BadParameter(str(exc)) from None


async def prepare_stores(settings: Settings, *, seed: bool) -> None:
    """Apply every subgraph's migrations and, when ``seed``, load the demo data into every
    store (in the registry's order: later subgraphs' demo data refer to earlier ones')."""
    for spec in SUBGRAPHS:
        await spec.migrate(settings)
    if seed:
        for spec in SUBGRAPHS:
            await spec.seed(settings)


@app.command()
def dev(
    data_dir: Annotated[Path | None, typer.Option(help="Where embedded stores keep data.")] = None,
    seed: Annotated[bool, typer.Option(help="Load demo data (dev mode only).")] = True,
) -> None:
    """Run everything: stores, migrations, demo data, three subgraphs, the gateway, a worker."""
    from astroctl.graph import compose_supergraph
    from astroctl.platform import start_platform
    from astroctl.supervisor import Supervisor

    base = _settings()
    data = (data_dir or base.data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    stores = []
    supervisor: Supervisor | None = None
    try:
        postgres = devstack.start_postgres(base.postgres_url, data)
        stores.append(postgres)
        mongo = devstack.start_mongo(base.mongo_url, data)
        stores.append(mongo)
        redis = devstack.start_redis(base.redis_url, data)
        stores.append(redis)
        for store in stores:
            typer.echo(f"  {store.name:<9} {store.url}  ({store.origin})")
        settings = base.model_copy(
            update={"postgres_url": postgres.url, "mongo_url": mongo.url, "redis_url": redis.url}
        )
        asyncio.run(prepare_stores(settings, seed=seed and settings.mode == "dev"))
        supergraph = data / "supergraph.graphql"
        supergraph.write_text(compose_supergraph(settings))

        supervisor = Supervisor(settings, log_dir=data / "logs")
        if not settings.smtp_url:  # a local sink, so the notifications' mail is visible
            sink_url = f"smtp://{settings.host}:{settings.smtp_sink_port}"
            mail_dir = data / "mail"
            if devstack.port_open(settings.host, settings.smtp_sink_port):
                raise RuntimeError(
                    f"port {settings.smtp_sink_port} is taken: set ASTRO_SMTP_SINK_PORT to a free "
                    "port for the mail sink, or ASTRO_SMTP_URL to a mail server"
                )
            sink = supervisor.start(
                "mailsink",
                ["mailsink", "--port", str(settings.smtp_sink_port), "--dir", str(mail_dir)],
                f"{sink_url}  (mail in {mail_dir}, logs/mailsink.log)",
            )
            devstack.wait_for_port(settings.host, settings.smtp_sink_port, 30, "the mail sink")
            if sink.process.poll() is not None:
                raise RuntimeError("the mail sink exited; see logs/mailsink.log")
            settings = settings.model_copy(update={"smtp_url": sink_url})
            supervisor.settings = settings
        gateway_url = start_platform(supervisor, supergraph)
        for child in supervisor.children:
            typer.echo(f"  {child.name:<9} {child.url}")
        typer.echo(f"\nAstroBookings is up: {gateway_url} (logs in {data / 'logs'}). Ctrl-C stops.")
        _wait_for_interrupt(supervisor)
    finally:
        if supervisor is not None:
            supervisor.stop()
        for store in reversed(stores):
            store.stop()
        typer.echo("stopped")


def _wait_for_interrupt(supervisor: object) -> None:
    """Keep the platform up until Ctrl-C (or SIGTERM), starting again any child that exits."""
    from astroctl.supervisor import Supervisor

    assert isinstance(supervisor, Supervisor)

    def tend() -> None:
        for event in supervisor.tend():
            typer.echo(event, err=True)

    _until_stopped(tend)


def _until_stopped(tick: Callable[[], None]) -> None:
    """Call ``tick`` five times a second until Ctrl-C or SIGTERM."""
    stop = False

    def handle(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    while not stop:
        tick()
        time.sleep(0.2)


@app.command()
def gateway(
    supergraph: Annotated[
        Path | None, typer.Option(help="Supergraph SDL file (default: ASTRO_SUPERGRAPH_PATH).")
    ] = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 4000,
    suites_from: Annotated[
        str | None,
        typer.Option(
            help="Serve /{suite}/graphql, loading each supergraph from this URL template."
        ),
    ] = None,
) -> None:
    """The gateway alone, over any supergraph SDL file."""
    from gateway.app import run_multi_gateway

    if suites_from:
        run_multi_gateway(suites_from, host, port)
        return
    settings = _settings()
    configure_logging(settings, "gateway")
    path = supergraph or settings.supergraph_path
    if not path.exists():
        raise typer.BadParameter(f"no supergraph file at {path}", param_hint="--supergraph")
    overrides = dict(settings.subgraph_urls)
    if overrides:  # e.g. compose.yaml: the committed supergraph with in-network URLs
        from astroctl.graph import with_subgraph_urls

        rewritten = settings.data_dir / "supergraph.graphql"
        rewritten.parent.mkdir(parents=True, exist_ok=True)
        rewritten.write_text(with_subgraph_urls(path.read_text(), overrides))
        path = rewritten
    from astroctl.gateway_config import gateway_config
    from gateway.app import create_app

    asgi = create_app(path.read_text(encoding="utf-8"), gateway_config(settings))
    serve(_with_portals(asgi, settings.web_dist), "gateway", host, port)


def _with_portals(asgi: ASGIApp, dist: Path) -> ASGIApp:
    """The gateway's app with the built web portals on its origin (when there are any)."""
    from astroctl.portals import WithPortals, portals_found

    found = portals_found(dist)
    if not found:
        return asgi
    typer.echo(f"web portals from {dist}: {', '.join(found)}")
    return WithPortals(asgi, dist)


@app.command()
def subgraph(
    name: Annotated[str, typer.Argument(help=f"one of {', '.join(NAMES)}")],
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """One subgraph's GraphQL server."""
    spec = _spec(name)
    settings = _settings()
    configure_logging(settings, name)
    asgi = spec.module("app").create_app(settings)
    serve(asgi, name, host or settings.host, port or spec.port(settings))


@app.command()
def worker(
    notifications: Annotated[
        bool,
        typer.Option(
            "--notifications",
            help="Run the notification jobs (their own queue) instead of the others.",
        ),
    ] = False,
) -> None:
    """An arq worker running every subgraph's jobs (or, --notifications, the emails)."""
    from arq.logs import default_log_config

    from astroctl.worker import create_worker

    settings = _settings()
    source = "notifier" if notifications else "worker"
    configure_logging(settings, source, also=default_log_config(verbose=False))
    running = create_worker(settings, notifications=notifications)
    announce(source, f"arq queue {running.queue_name}")
    running.run()


@app.command()
def mailsink(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ASTRO_SMTP_SINK_PORT).")] = None,
    dir: Annotated[Path | None, typer.Option(help="Keep each email as a .eml file here.")] = None,
) -> None:
    """A local SMTP server that accepts every email and prints it (for `astro dev`)."""
    from astroctl.mailsink import MailSink

    def echo(text: str) -> None:
        typer.echo(text)
        sys.stdout.flush()  # its log file is read while it runs

    settings = _settings()
    sink = MailSink(
        host=host or settings.host,
        port=port or settings.smtp_sink_port,
        directory=dir,
        echo=echo,
    )
    with sink:
        echo(f"mail sink listening on {sink.url}" + (f", keeping mail in {dir}" if dir else ""))
        _until_stopped(lambda: None)


@app.command()
def compose(
    out: Annotated[Path, typer.Option(help="Directory for the SDL files.")] = Path("schema"),
) -> None:
    """Write each subgraph's SDL and the composed supergraph (default subgraph URLs)."""
    from astroctl.graph import write_schema_files

    for path in write_schema_files(Settings.model_construct(), out):
        typer.echo(f"wrote {path}")


@app.command()
def reset(
    data_dir: Annotated[Path | None, typer.Option(help="The data dir (ASTRO_DATA_DIR).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
) -> None:
    """Forget the dev platform's state in every store and the data dir (stop astro dev first)."""
    from astroctl.reset import reset as reset_state

    settings = _settings()
    if settings.mode != "dev":
        raise typer.BadParameter("astro reset only runs in dev mode (ASTRO_MODE=dev)")
    data = (data_dir or settings.data_dir).resolve()
    if devstack.port_open(settings.host, settings.gateway_port):
        typer.echo(
            f"something listens on the gateway port {settings.gateway_port}: stop astro dev first",
            err=True,
        )
        raise typer.Exit(1)
    if not yes:
        typer.confirm(f"Delete the ledger, catalog, users, queues and {data}?", abort=True)
    for line in reset_state(settings, data):
        typer.echo(line)


@app.command()
def seed() -> None:
    """Apply migrations and load the demo data (dev mode only)."""
    settings = _settings()
    if settings.mode != "dev":
        raise typer.BadParameter("demo data is only loaded in dev mode (ASTRO_MODE=dev)")
    asyncio.run(prepare_stores(settings, seed=True))
    typer.echo("demo data loaded")


if __name__ == "__main__":
    app()
