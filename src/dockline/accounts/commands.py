"""`dockline createadmin`, `dockline users ...` and `dockline rotate-keys`: thin click wrappers over the services.

Each command calls `setup()` (Django, then migrations) handed in by dockline.cli, so this module
stays importable without Django configured.
"""
from __future__ import annotations

import json
import os

import click
from rich.console import Console
from rich.table import Table

console = Console()
PASSWORD_ENV = "DOCKLINE_ADMIN_PASSWORD"  # createadmin
USER_PASSWORD_ENV = "DOCKLINE_USER_PASSWORD"  # users add
ROLES = click.Choice(["admin", "staff", "merchant"])


def _password(no_input: bool, env: str = PASSWORD_ENV) -> str:
    if os.environ.get(env):
        return os.environ[env]
    if no_input:
        raise click.UsageError(f"--no-input needs the password in the environment variable {env}.")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _refused(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def commands(setup) -> list[click.Command]:
    """The commands, bound to the CLI's `setup` (configure Django and migrate)."""

    @click.command()
    @click.option("--organization", help="Your company; created when new.")
    @click.option("--username")
    @click.option("--email", default="")
    @click.option("--no-input", is_flag=True, help=f"Ask nothing; the password comes from ${PASSWORD_ENV}.")
    def createadmin(organization: str | None, username: str | None, email: str, no_input: bool) -> None:
        """Create the organization and its first administrator."""
        setup()
        from dockline.accounts import services

        if no_input and not (organization and username):
            raise click.UsageError("--no-input needs --organization and --username.")
        organization = organization or click.prompt("Organization (your company)")
        username = username or click.prompt("Username")
        if not no_input and not email:
            email = click.prompt("Email", default="", show_default=False)
        try:
            membership = services.create_admin(organization, username, email, _password(no_input))
        except services.AccountRefused as exc:
            raise _refused(exc) from None
        console.print(f"{membership.user.username} is an administrator of {membership.organization}; "
                      "log in to the dashboard with this username.")

    @click.group()
    def users() -> None:
        """List users, add them, change their role, deactivate them."""

    @users.command("list")
    @click.option("--organization")
    @click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
    def list_(organization: str | None, as_json: bool) -> None:
        """Every user, with organization, role and merchants."""
        setup()
        from dockline.accounts import services

        try:
            rows = services.list_users(organization)
        except services.AccountRefused as exc:
            raise _refused(exc) from None
        if as_json:
            click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
            return
        table = Table("Username", "Email", "Organization", "Role", "Merchants", "Active", "Last login")
        for r in rows:
            table.add_row(r.username, r.email, r.organization or "[red]none[/red]", r.role.label if r.role else "",
                          ", ".join(r.merchants), "yes" if r.active else "[red]no[/red]", r.last_login)
        console.print(table)

    @users.command("add")
    @click.option("--organization")
    @click.option("--username", required=True)
    @click.option("--email", default="")
    @click.option("--role", type=ROLES, required=True)
    @click.option("--merchant", "merchants", multiple=True, help="A merchant a staff or merchant user sees (repeat).")
    @click.option("--no-input", is_flag=True, help=f"Ask nothing; the password comes from ${USER_PASSWORD_ENV}.")
    def add(organization, username, email, role, merchants, no_input) -> None:
        """Add a user with a role."""
        setup()
        from dockline.accounts import services
        from dockline.accounts.models import Role

        try:
            m = services.add_user(services.find_organization(organization).name, username, email, Role(role),
                                  _password(no_input, USER_PASSWORD_ENV), tuple(merchants))
        except services.AccountRefused as exc:
            raise _refused(exc) from None
        console.print(f"Added {m.user.username} to {m.organization} as {m.get_role_display()}.")

    @users.command("set-role")
    @click.option("--organization")
    @click.option("--username", required=True)
    @click.option("--role", type=ROLES, required=True)
    @click.option("--merchant", "merchants", multiple=True, help="A merchant a staff or merchant user sees (repeat).")
    def set_role(organization, username, role, merchants) -> None:
        """Change a user's role (and merchants)."""
        setup()
        from dockline.accounts import services
        from dockline.accounts.models import Role

        try:
            m = services.set_role(organization, username, Role(role), tuple(merchants))
        except services.AccountRefused as exc:
            raise _refused(exc) from None
        seen = f", seeing {', '.join(x.name for x in m.merchants.all())}" if m.role != Role.ADMIN else ""
        console.print(f"{m.user.username} is now {m.get_role_display()} in {m.organization}{seen}.")

    @users.command("deactivate")
    @click.option("--organization")
    @click.option("--username", required=True)
    def deactivate(organization, username) -> None:
        """Stop a user from logging in; their history stays."""
        setup()
        from dockline.accounts import services

        try:
            m = services.deactivate_user(organization, username)
        except services.AccountRefused as exc:
            raise _refused(exc) from None
        console.print(f"{m.user.username} can no longer log in to {m.organization}.")

    @click.command("rotate-keys")
    def rotate_keys() -> None:
        """Re-encrypt every stored secret under the newest credential key (safe to interrupt and rerun)."""
        setup()
        from rich.progress import Progress

        from dockline.accounts import keys

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("secrets", total=keys.count_secrets())
            report = keys.rotate_keys(on_row=lambda: progress.advance(task))
        console.print(f"{report.rotated} secret(s) re-encrypted with the newest key, {report.current} already were"
                      + (f", {report.changed_meanwhile} changed meanwhile (run again)" if report.changed_meanwhile
                         else "") + ".", highlight=False)
        if report.unreadable:
            console.print(f"[red]{len(report.unreadable)} cannot be decrypted with any configured key:[/red] "
                          + ", ".join(report.unreadable), highlight=False)
            raise SystemExit(1)
        console.print("Older keys can now be removed from DOCKLINE_CREDENTIAL_KEYS.")

    return [createadmin, users, rotate_keys]
