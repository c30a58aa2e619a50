"""The ``astro`` command: run the platform, or any one of its parts."""

from __future__ import annotations

import asyncio
import importlib
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from astro import devstack
from astro.settings import Settings, get_settings

app = typer.Typer(help="AstroBookings: one GraphQL endpoint over three federated subgraphs.")

SUBGRAPH_NAMES = ("customer", "admin", "system")


def _subgraph_module(name: str, part: str) -> object:
    if name not in SUBGRAPH_NAMES:
        raise typer.BadParameter(f"unknown subgraph {name!r}; one of {', '.join(SUBGRAPH_NAMES)}")
    return importlib.import_module(f"subgraphs.{name}.{part}")


async def _prepare_stores(settings: Settings, *, seed: bool) -> None:
    """Apply migrations and, when ``seed``, load the demo data into every store."""
    from subgraphs.admin.store import migrate

    await migrate(settings)
    if seed:
        for name in ("system", "admin", "customer"):
            module = importlib.import_module(f"subgraphs.{name}.seed")
            await module.seed(settings)


@app.command()
def dev(
    data_dir: Annotated[Path | None, typer.Option(help="Where embedded stores keep data.")] = None,
    seed: Annotated[bool, typer.Option(help="Load demo data (dev mode only).")] = True,
) -> None:
    """Run everything: stores, migrations, demo data, three subgraphs, the gateway, a worker."""
    from astro.graph import compose_supergraph
    from astro.supervisor import Supervisor

    base = get_settings()
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
        asyncio.run(_prepare_stores(settings, seed=seed and settings.mode == "dev"))
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
        children = []
        for name in SUBGRAPH_NAMES:
            url = settings.subgraph_url(name)
            children.append((supervisor.start(name, ["subgraph", name], url), url))
        supervisor.start("worker", ["worker"], "arq queue " + settings.queue_name)
        if settings.notification_queue != settings.queue_name:
            supervisor.start(
                "notifier",
                ["worker", "--notifications"],
                "arq queue " + settings.notification_queue,
            )
        for child, url in children:
            supervisor.wait_healthy(child, url.rsplit("/", 1)[0] + "/healthz")
        gateway_url = f"http://{settings.host}:{settings.gateway_port}/graphql"
        gateway = supervisor.start(
            "gateway",
            ["gateway", "--supergraph", str(supergraph), "--port", str(settings.gateway_port)],
            gateway_url,
        )
        supervisor.wait_healthy(gateway, gateway_url.rsplit("/", 1)[0] + "/healthz")
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
    from astro.supervisor import Supervisor

    assert isinstance(supervisor, Supervisor)
    stop = False

    def handle(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    while not stop:
        dead = supervisor.dead()
        if dead:
            names = ", ".join(f"{c.name} (exit {c.process.returncode})" for c in dead)
            typer.echo(f"stopping: {names} exited; see the logs", err=True)
            return
        time.sleep(0.2)


def _ship_logs(settings: Settings, source: str) -> None:
    """Send this process's warnings and errors to the platform log (``logs`` query)."""
    from astro.logshipping import ship_logs

    ship_logs(
        settings.redis_url,
        source,
        level=settings.log_ship_level,
        info_loggers=settings.log_ship_info_loggers,
        list_key=settings.log_list,
    )


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
    from gateway.app import run_gateway, run_multi_gateway

    if suites_from:
        run_multi_gateway(suites_from, host, port)
        return
    settings = get_settings()
    _ship_logs(settings, "gateway")
    path = supergraph or settings.supergraph_path
    if not path.exists():
        raise typer.BadParameter(f"no supergraph file at {path}", param_hint="--supergraph")
    overrides = {name: url for name in SUBGRAPH_NAMES if (url := getattr(settings, f"{name}_url"))}
    if overrides:  # e.g. compose.yaml: the committed supergraph with in-network URLs
        from astro.graph import with_subgraph_urls

        rewritten = settings.data_dir / "supergraph.graphql"
        rewritten.parent.mkdir(parents=True, exist_ok=True)
        rewritten.write_text(with_subgraph_urls(path.read_text(), overrides))
        path = rewritten
    from astroctl.gateway_config import gateway_config

    run_gateway(str(path), host, port, gateway_config(settings))


@app.command()
def subgraph(
    name: Annotated[str, typer.Argument(help="customer, admin or system")],
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """One subgraph's GraphQL server."""
    import uvicorn

    settings = get_settings()
    _ship_logs(settings, name)
    module = _subgraph_module(name, "app")
    asgi = module.create_app(settings)  # type: ignore[attr-defined]
    uvicorn.run(
        asgi,
        host=host or settings.host,
        port=port or getattr(settings, f"{name}_port"),
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )


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
    import logging.config

    from arq.logs import default_log_config

    from astro.worker import create_worker

    logging.config.dictConfig(default_log_config(verbose=False))
    settings = get_settings()
    _ship_logs(settings, "notifier" if notifications else "worker")
    create_worker(settings, notifications=notifications).run()


@app.command()
def mailsink(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ASTRO_SMTP_SINK_PORT).")] = None,
    dir: Annotated[Path | None, typer.Option(help="Keep each email as a .eml file here.")] = None,
) -> None:
    """A local SMTP server that accepts every email and prints it (for `astro dev`)."""
    from astro.mailsink import MailSink

    def echo(text: str) -> None:
        typer.echo(text)
        sys.stdout.flush()  # its log file is read while it runs

    settings = get_settings()
    sink = MailSink(
        host=host or settings.host,
        port=port or settings.smtp_sink_port,
        directory=dir,
        echo=echo,
    )
    stop = False

    def handle(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    with sink:
        echo(f"mail sink listening on {sink.url}" + (f", keeping mail in {dir}" if dir else ""))
        while not stop:
            time.sleep(0.2)


@app.command()
def compose(
    out: Annotated[Path, typer.Option(help="Directory for the SDL files.")] = Path("schema"),
) -> None:
    """Write each subgraph's SDL and the composed supergraph (default subgraph URLs)."""
    from astro.graph import write_schema_files

    for path in write_schema_files(Settings.model_construct(), out):
        typer.echo(f"wrote {path}")


@app.command()
def seed() -> None:
    """Apply migrations and load the demo data (dev mode only)."""
    settings = get_settings()
    if settings.mode != "dev":
        raise typer.BadParameter("demo data is only loaded in dev mode (ASTRO_MODE=dev)")
    asyncio.run(_prepare_stores(settings, seed=True))
    typer.echo("demo data loaded")


if __name__ == "__main__":
    app()
