"""What the command modules share: the console, --json output, who acts, and finding a connection."""
from __future__ import annotations

import getpass
import json

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()
err_console = Console(stderr=True)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")


def emit_json(data) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def who() -> str:
    """The person at the terminal, as activity entries name them."""
    return f"{getpass.getuser()} (command line)"


def progress(quiet: bool) -> Progress:
    """A rich progress bar on stderr (hidden for --json, so the output stays parseable)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, disable=quiet, transient=quiet)


def find_connection(connection_id: int):
    from dockline.connections.models import Connection

    try:
        return Connection.objects.select_related("store", "merchant", "warehouse").get(pk=connection_id)
    except Connection.DoesNotExist:
        raise click.ClickException(f"There is no connection {connection_id}; `dockline connections list` "
                                   "shows them.") from None


def as_data(schema, obj) -> dict:
    """An object as the API shows it (the same schema), as plain JSON data."""
    return json.loads(schema.from_orm(obj).model_dump_json())


def check_status(status: str) -> None:
    """Refuse a status that is not one (a typo would otherwise filter nothing out)."""
    from dockline.orders.status import OrderStatus

    if status and status not in OrderStatus.values:
        raise click.BadParameter(f"{status!r} is not a status; one of {', '.join(OrderStatus.values)}.",
                                 param_hint="--status")
