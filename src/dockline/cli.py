"""The `dockline` command.

`dockline serve` runs the dashboard in gunicorn (gthread workers, timeouts) as a child process and,
on the embedded default, the scheduler and job threads in this process: exactly once per install,
and never inside a forked web worker. gunicorn is started with a fresh interpreter (fork + exec)
before any thread or database connection exists here, so its workers inherit neither.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
from rich.console import Console

from dockline.accounts.commands import commands as account_commands
from dockline.commands import backfill, export
from dockline.commands import connections as connection_commands
from dockline.commands import orders as order_commands

console = Console()
log = logging.getLogger("dockline.cli")


def _setup(home: str | None = None) -> None:
    if home:
        os.environ["DOCKLINE_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _serve_web(host: str, port: int, workers: int | None = None, log_level: str = "info") -> subprocess.Popen:
    """gunicorn serving dockline.wsgi in a child process; the database connections here are closed first.
    gunicorn logs no requests; `log_level` "warning" also keeps its start and stop lines out of the terminal."""
    from django.conf import settings
    from django.db import connections

    import dockline

    connections.close_all()
    env = {**os.environ, "DOCKLINE_HOME": str(settings.HOME),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(dockline.__file__).parent.parent),
                                                       os.environ.get("PYTHONPATH")]))}
    args = ["dockline.wsgi:application", "--bind", f"{host}:{port}",
            "--worker-class", "gthread", "--workers", str(workers or settings.WEB_WORKERS),
            "--threads", str(settings.WEB_THREADS), "--timeout", str(settings.WEB_TIMEOUT),
            "--graceful-timeout", "10", "--keep-alive", "5", "--no-control-socket", "--log-level", log_level,
            "--forwarded-allow-ips", ",".join(settings.TRUSTED_PROXIES)]
    return subprocess.Popen([sys.executable, "-c", _GUNICORN_MAIN, str(os.getpid()), *args], env=env)


# gunicorn's main, after asking Linux to stop it (SIGTERM) when `dockline serve` dies, even by SIGKILL.
_GUNICORN_MAIN = """
import os, signal, sys
if sys.platform.startswith("linux"):
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != int(sys.argv[1]):
        sys.exit("dockline serve is gone")
sys.argv = ["gunicorn", *sys.argv[2:]]
from gunicorn.app.wsgiapp import run
run()
"""


def _stop_web(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()  # gunicorn: graceful stop
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _check_keys() -> None:
    """Say (log and terminal) which stored secrets the configured keys cannot open; stop on a malformed key."""
    from dockline.accounts import keys

    for problem in keys.start_up_problems():
        log.error(problem)
        console.print(f"[red]{problem}[/red]", highlight=False)
    if keys.malformed_keys():
        sys.exit(1)


def _start_up_checks(host: str, port: int) -> None:
    """Check the keys, and print the one-time setup code of a fresh install."""
    from django.conf import settings

    from dockline.accounts import services

    _check_keys()
    if services.needs_setup():
        token = services.issue_setup_token()
        url = settings.PUBLIC_URL if "DOCKLINE_PUBLIC_URL" in os.environ else f"http://{host}:{port}"
        console.print(f"\n[bold]No organization yet.[/bold] Open {url}/setup/ and enter the setup code\n"
                      f"    [bold]{token}[/bold]\n(it works once, for 24 hours), or run `dockline createadmin`.\n",
                      highlight=False)


@click.group()
@click.version_option(package_name="dockline", message="dockline %(version)s")
def main() -> None:
    """Dockline: orders from stores to 3PL warehouses, and tracking and stock back."""


for _command in account_commands(lambda: (_setup(), _migrate())):
    main.add_command(_command)
main.add_command(order_commands.command(lambda: (_setup(), _migrate())))
main.add_command(connection_commands.command(lambda: (_setup(), _migrate())))
main.add_command(backfill.command(lambda: (_setup(), _migrate())))
main.add_command(export.command(lambda: (_setup(), _migrate())))


@main.command()
def migrate() -> None:
    """Create or update the database tables."""
    _setup()
    _migrate()
    console.print("Database is up to date.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=4, show_default=True, help="Job threads of the in-process runner.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the dashboard (gunicorn); without BROKER_URL, also run the scheduler and jobs in this process."""
    _setup()
    _migrate()
    from django.conf import settings

    from dockline.sync.runners import Dispatcher, LocalRunner

    _start_up_checks(host, port)
    web = _serve_web(host, port)
    dispatcher = None if settings.BROKER_URL else Dispatcher(LocalRunner(workers))
    if dispatcher:
        dispatcher.start()
        console.print(f"Scheduler {dispatcher.owner} runs the jobs of this install in process {os.getpid()} "
                      f"({workers} job threads).", highlight=False)
    where = "jobs run in this process" if dispatcher else "jobs go to Celery workers (run `dockline scheduler`)"
    console.print(f"Dockline is serving http://{host}:{port} with gunicorn ({settings.WEB_WORKERS} processes × "
                  f"{settings.WEB_THREADS} threads); {where}  (Ctrl-C to stop)", highlight=False)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        code = web.wait()
        console.print(f"[red]The web server stopped (exit code {code}).[/red]")
    except (KeyboardInterrupt, SystemExit):
        console.print("Stopped.")
        code = 0
    finally:
        _stop_web(web)
        if dispatcher:
            dispatcher.stop()
    sys.exit(code)


@main.command()
@click.option("--tick", default=2.0, show_default=True, help="Seconds between looks for due jobs.")
@click.option("--batch", default=500, show_default=True, help="Most jobs claimed per tick.")
def scheduler(tick: float, batch: int) -> None:
    """The dispatcher: claim due jobs and send them to Celery workers (needs BROKER_URL).

    Running two by mistake does no harm: a job is claimed by one of them only.
    """
    _setup()
    from django.conf import settings

    if not settings.BROKER_URL:
        raise click.UsageError("BROKER_URL is not set: `dockline serve` runs jobs in-process without a scheduler.")
    _check_keys()
    from dockline.sync.celery import CeleryRunner
    from dockline.sync.runners import Dispatcher

    dispatcher = Dispatcher(CeleryRunner(batch), tick=tick)
    dispatcher.start()
    console.print(f"Scheduler {dispatcher.owner} is dispatching to {_redact(settings.BROKER_URL)} (Ctrl-C to stop)")
    _wait_forever()
    dispatcher.stop()


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", default=4, show_default=True, help="Job processes in this worker.")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(concurrency: int, celery_args: tuple[str, ...]) -> None:
    """A Celery worker that runs jobs (needs BROKER_URL); extra arguments go to `celery worker`."""
    _setup()
    from django.conf import settings

    if not settings.BROKER_URL:
        raise click.UsageError("BROKER_URL is not set: there is no broker to take jobs from.")
    _check_keys()
    from dockline.sync.celery import app

    app.worker_main(["worker", f"--concurrency={concurrency}", "--loglevel=WARNING", *celery_args])


def _redact(url: str) -> str:
    """A broker URL without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":•••@") if parts.password else url


@main.command()
@click.option("--check", is_flag=True, help="Run headless with a fixed number of orders and verify the result.")
@click.option("--orders", "order_count", default=50, show_default=True, help="Orders placed by --check.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds --check waits before failing.")
@click.option("--port", default=8000, show_default=True, help="Dashboard port (interactive demo).")
@click.option("--platform", default="bigcommerce", show_default=True, help="Which sandbox store to sell on.")
@click.option("--transport", "transport", default="ftp", show_default=True,
              type=click.Choice(["ftp", "ftps", "sftp"]), help="How Dockline reaches the simulated warehouse.")
@click.option("--format", "file_format", default="dsfx", show_default=True,
              type=click.Choice(["dsfx", "x12", "json"]), help="The file format the simulated warehouse speaks.")
@click.option("--dsfx-version", default="2", show_default=True, type=click.Choice(["1", "2", "3"]),
              help="DSFX order header version (with --format dsfx).")
def demo(check: bool, order_count: int, timeout: float, port: int, platform: str, transport: str,
         file_format: str, dsfx_version: str) -> None:
    """Run Dockline against a sandbox store and a simulated warehouse (FTP, FTPS or SFTP)."""
    os.environ.setdefault("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "1")  # the sandboxes listen on loopback
    # Links and webhook addresses name the port this demo listens on, not another server's default.
    os.environ.setdefault("DOCKLINE_PUBLIC_URL", f"http://127.0.0.1:{port}")
    _setup(tempfile.mkdtemp(prefix="dockline-check-") if check and "DOCKLINE_HOME" not in os.environ else None)
    _migrate()
    from dockline.sandbox import demo as world_mod
    from dockline.sync.runners import Dispatcher, LocalRunner

    if platform not in world_mod.demo_stores():
        raise click.BadParameter(f"choose one of {', '.join(world_mod.demo_stores())}", param_hint="--platform")
    world = world_mod.build(intervals=world_mod.demo_intervals(1.0 if check else 5.0), platform=platform,
                            transport=transport, file_format=file_format,
                            format_settings={"dsfx_version": dsfx_version} if file_format == "dsfx" else None,
                            second_warehouse=True)
    world_mod.add_demo_rules(world.connection)
    dispatcher = Dispatcher(LocalRunner(4), tick=0.25 if check else 1.0)
    try:
        if check:
            sys.exit(_check(world, world_mod, dispatcher, order_count, timeout))
        _interactive(world, world_mod, dispatcher, port)
    finally:
        dispatcher.stop()
        world.stop()


def _check(world, world_mod, dispatcher, order_count: int, timeout: float) -> int:
    from rich.progress import Progress

    from dockline.orders.models import Order
    from dockline.orders.status import OrderStatus

    for _ in range(order_count):
        world.place_order()
    started = time.monotonic()
    dispatcher.start()

    def closed() -> int:
        return Order.objects.filter(connection=world.connection, status=OrderStatus.CLOSED).count()

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("orders closed", total=order_count)

        def done() -> bool:
            progress.update(task, completed=closed())
            # verify() knows the final status: Closed, or Shipped where the platform takes no tracking
            return world_mod.verify(world, order_count).ok

        world_mod.wait_until(done, timeout)
    result = world_mod.verify(world, order_count)
    elapsed = time.monotonic() - started
    status = "check passed" if result.ok else "check FAILED"
    console.print(f"{status}: {result.summary} in {elapsed:.1f} s", soft_wrap=True, highlight=False)
    every = world.all_wms
    taken = sum(sum(w.received.values()) for w in every)  # order files (a split order sends one per warehouse)
    acks = (f", 997s: {sum(len(w.acks_sent) for w in every)} from the warehouses for {taken} order files, "
            f"{sum(len(w.acks_received) for w in every)} from Dockline" if _file_format_of(world) == "x12" else "")
    console.print(f"warehouses: {len(every)}, {world.wms.transport} + {_file_format_of(world)}{acks}",
                  soft_wrap=True, highlight=False)
    return 0 if result.ok else 1


def _file_format_of(world) -> str:
    warehouse = world.connection.warehouse
    version = warehouse.settings.get("dsfx_version") if warehouse.file_format == "dsfx" else None
    return f"{warehouse.file_format} v{version}" if version else warehouse.file_format


def _wait_listening(web: subprocess.Popen, port: int, timeout: float = 30.0) -> bool:
    """Whether the web server accepts connections on `port` within `timeout` (False if it died)."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def _interactive(world, world_mod, dispatcher, port: int) -> None:
    web = _serve_web("127.0.0.1", port, workers=1, log_level="warning")
    if not _wait_listening(web, port):
        _stop_web(web)
        raise click.ClickException(f"the dashboard did not start on port {port}; is another program using it?")
    # Hooks are registered only now that the server that receives them is up, at the demo's own address.
    note = world_mod.turn_on_webhooks(world, f"http://127.0.0.1:{port}")
    dispatcher.start()
    sku, name, _ = world_mod.UNMAPPED_SKU
    console.print(
        f"\n[bold]Dockline demo[/bold] is running at http://127.0.0.1:{port}\n"
        f"  login: [bold]{world.username}[/bold]  password: [bold]{world.password}[/bold]\n"
        f"  store: {world.store.label} at {world.store.address}\n"
        f"  warehouses: simulated WMS on {', '.join(wms.url for wms in world.all_wms)} "
        "(the second alone stocks LANTERN-300: orders are split by availability)\n"
        f"  webhooks: {note or 'on: each new order is imported as soon as it is placed'}\n"
        "A new order is placed every few seconds; watch them move on the Orders page.\n"
        f"Now and then one includes [bold]{sku}[/bold] ({name.split(' (')[0]}), which has no listing yet: that order "
        f"stops on the Needs mapping page. Map {sku} there to the warehouse SKU [bold]{world_mod.UNMAPPED_SKU_MAPS_TO}"
        "[/bold] and its held orders go on to the warehouse.\nCtrl-C stops.\n",
        highlight=False,
    )
    try:
        while web.poll() is None:
            world.place_order(allow_unmapped=True)
            time.sleep(world.rng.uniform(3, 8))
        console.print("[red]The web server stopped.[/red]")
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        _stop_web(web)


@main.command()
@click.option("--port", default=0, show_default=True, help="BigCommerce sandbox store port (0: any free port).")
@click.option("--warehouse-port", default=0, show_default=True, help="Simulated WMS file server port.")
@click.option("--control-port", default=0, show_default=True, help="Port of the control server (orders, timings).")
@click.option("--transport", default="ftp", show_default=True, type=click.Choice(["ftp", "ftps", "sftp"]))
@click.option("--format", "file_format", default="dsfx", show_default=True, type=click.Choice(["dsfx", "x12", "json"]))
@click.option("--latency-ms", default=0.0, show_default=True, help="Milliseconds added to every store API answer.")
@click.option("--ship-delay", default=1.0, show_default=True, help="Seconds the warehouse takes to ship an order.")
@click.option("--partial-rate", default=0.2, show_default=True, help="Share of orders shipped in two parts.")
@click.option("--inventory-interval", default=2.0, show_default=True,
              help="Seconds between the warehouse's inventory snapshots (one also follows each shipment).")
@click.option("--resolve", multiple=True, metavar="HOST=ORIGIN",
              help="Deliver webhooks for HOST to ORIGIN, e.g. dockline.test=http://127.0.0.1:8000.")
def sandbox(port: int, warehouse_port: int, control_port: int, transport: str, file_format: str,
            latency_ms: float, ship_delay: float, partial_rate: float, inventory_interval: float,
            resolve: tuple[str, ...]) -> None:
    """Run a sandbox BigCommerce store and the simulated WMS in this process; prints where they are as JSON."""
    _setup()
    from dockline.sandbox.serve import run

    if any("=" not in r for r in resolve):
        raise click.BadParameter("write HOST=ORIGIN, e.g. dockline.test=http://127.0.0.1:8000", param_hint="--resolve")
    run(store_port=port, warehouse_port=warehouse_port, control_port=control_port, transport=transport,
        file_format=file_format, latency_ms=latency_ms, ship_delay=ship_delay, partial_rate=partial_rate,
        inventory_interval=inventory_interval, resolve=dict(r.split("=", 1) for r in resolve))


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("Stopped.")


if __name__ == "__main__":
    main()
