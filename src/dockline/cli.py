"""The `dockline` command."""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import time

import click
from rich.console import Console

console = Console()


def _setup(home: str | None = None) -> None:
    if home:
        os.environ["DOCKLINE_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dockline.settings")
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _serve_web(host: str, port: int):
    from django.core.wsgi import get_wsgi_application
    from werkzeug.serving import make_server

    server = make_server(host, port, get_wsgi_application(), threaded=True)
    threading.Thread(target=server.serve_forever, name="dockline-web", daemon=True).start()
    return server


@click.group()
def main() -> None:
    """Dockline: orders from stores to 3PL warehouses, and tracking and stock back."""


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
    """Serve the dashboard and run the scheduler and jobs in this process."""
    _setup()
    _migrate()
    from dockline.sync.runners import Dispatcher, LocalRunner

    dispatcher = Dispatcher(LocalRunner(workers))
    dispatcher.start()
    _serve_web(host, port)
    console.print(f"Dockline is serving http://{host}:{port}  (Ctrl-C to stop)")
    _wait_forever()
    dispatcher.stop()


@main.command()
@click.option("--check", is_flag=True, help="Run headless with a fixed number of orders and verify the result.")
@click.option("--orders", "order_count", default=50, show_default=True, help="Orders placed by --check.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds --check waits before failing.")
@click.option("--port", default=8000, show_default=True, help="Dashboard port (interactive demo).")
@click.option("--platform", default="bigcommerce", show_default=True, help="Which sandbox store to sell on.")
def demo(check: bool, order_count: int, timeout: float, port: int, platform: str) -> None:
    """Run Dockline against a sandbox BigCommerce store and a simulated FTP warehouse."""
    _setup(tempfile.mkdtemp(prefix="dockline-check-") if check and "DOCKLINE_HOME" not in os.environ else None)
    _migrate()
    from dockline.sandbox import demo as world_mod
    from dockline.sync.runners import Dispatcher, LocalRunner

    if platform not in world_mod.demo_stores():
        raise click.BadParameter(f"choose one of {', '.join(world_mod.demo_stores())}", param_hint="--platform")
    world = world_mod.build(intervals=world_mod.demo_intervals(1.0 if check else 5.0), platform=platform)
    dispatcher = Dispatcher(LocalRunner(4), tick=0.25 if check else 1.0)
    try:
        if check:
            sys.exit(_check(world, world_mod, dispatcher, order_count, timeout))
        _interactive(world, dispatcher, port)
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
    closed = lambda: Order.objects.filter(connection=world.connection, status=OrderStatus.CLOSED).count()  # noqa: E731
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("orders closed", total=order_count)

        def done() -> bool:
            progress.update(task, completed=closed())
            return closed() >= order_count and world_mod.verify(world, order_count).ok

        world_mod.wait_until(done, timeout)
    result = world_mod.verify(world, order_count)
    elapsed = time.monotonic() - started
    status = "check passed" if result.ok else "check FAILED"
    console.print(f"{status}: {result.summary} in {elapsed:.1f} s", soft_wrap=True, highlight=False)
    return 0 if result.ok else 1


def _interactive(world, dispatcher, port: int) -> None:
    dispatcher.start()
    _serve_web("127.0.0.1", port)
    console.print(
        f"\n[bold]Dockline demo[/bold] is running at http://127.0.0.1:{port}\n"
        f"  login: [bold]{world.username}[/bold]  password: [bold]{world.password}[/bold]\n"
        f"  store: {world.store.label} at {world.store.address}\n"
        f"  warehouse: simulated WMS on ftp://127.0.0.1:{world.wms.port}\n"
        "A new order is placed every few seconds; watch them move on the Orders page. Ctrl-C stops.\n"
    )
    try:
        while True:
            world.place_order(allow_unmapped=True)
            time.sleep(world.rng.uniform(3, 8))
    except KeyboardInterrupt:
        console.print("Stopped.")


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("Stopped.")


if __name__ == "__main__":
    main()
