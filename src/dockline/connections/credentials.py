"""Credentials of a connection's store and warehouse: Test Connection with given values, save them, and the real result.

The wizard, the credential screens and the merchant's credential link all test through `test_store` and
`test_warehouse` (the platform's or transport's own step-by-step test) and save through
`save_store_credentials` / `save_warehouse_credentials`. Saving records the test's outcome as the side's
`CredentialCheck` (what the setup checklist shows), writes an activity entry naming who acted and which
fields changed (never a value), and clears the side's "needs re-authorization" mark only when the test passed.
Saved credentials are the declared fields only: what was derived from the previous ones (an Acumatica session
token, a BigCommerce app's granted scopes, a "refused" marker) belonged to them and is dropped, so the next
call signs in with what a person entered.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dockline.connections.models import (
    AUTH_ERROR_FIELDS,
    Connection,
    ConnectionActivity,
    CredentialCheck,
    Side,
    Store,
)
from dockline.core import crypto
from dockline.core.activity import Actor
from dockline.core.errors import ConnectorError
from dockline.platforms.base import CheckReport, CredentialField, platforms
from dockline.warehouses import transports as file_transports
from dockline.warehouses.models import Warehouse
from dockline.warehouses.transports.base import Folders, TransportConfig
from dockline.warehouses.transports.ftps import FtpsTransport
from dockline.warehouses.transports.sftp import SftpTransport, fingerprint_label


@dataclass(frozen=True)
class Outcome:
    """A Test Connection's result as kept: when, whether every step passed, and one sentence saying so."""

    at: object
    ok: bool
    message: str

    @classmethod
    def of(cls, report: CheckReport, *, now=None) -> Outcome:
        return cls(now or timezone.now(), report.ok, summary(report))


def summary(report: CheckReport) -> str:
    """One sentence for a report: the first failed step with its reason, or how many steps passed."""
    failed = next((s for s in report.steps if not s.ok), None)
    if failed is not None:
        return f"{failed.name}: {failed.detail}" if failed.detail else f"{failed.name} failed."
    return f"All {len(report.steps)} checks passed." if report.steps else "Nothing was checked."


def _guarded(check, what: str) -> CheckReport:
    try:
        return check()
    except ConnectorError as exc:
        report = CheckReport()
        report.add(what, False, exc.message)
        return report
    except (OSError, ValueError) as exc:
        report = CheckReport()
        report.add(what, False, str(exc) or type(exc).__name__)
        return report


def server_address(transport: str, credentials: dict) -> str:
    """"sftp://host:port" with the transport's default port filled in, to match an identity to its server."""
    port = str(credentials.get("port") or "").strip() or str(file_transports.transport_class(transport).default_port)
    return f"{transport}://{(credentials.get('host') or '').strip().lower()}:{port}"


def test_warehouse(transport: str, credentials: dict, settings: dict) -> tuple[CheckReport, dict]:
    """Test Connection, and what it saw of the server's identity: {"where", "host_key", "fingerprint"} for SFTP,
    {"where", "certificate"} for FTPS (the key is seen also when it was refused)."""
    creds = dict(credentials)
    try:
        port = int(creds.pop("port", "") or 0)
    except ValueError:
        report = CheckReport()
        report.add("Read the settings", False, "The port must be a number.")
        return report, {}
    config = TransportConfig(host=creds.pop("host", ""), port=port, username=creds.pop("username", ""),
                             password=creds.pop("password", ""), folders=Folders.from_settings(settings),
                             timeout=10.0, extra={**creds, **settings})
    tested = file_transports.transport_class(transport)(config)
    report = _guarded(tested.test, "Reach the warehouse")
    seen = {"where": server_address(transport, credentials)}
    if isinstance(tested, SftpTransport) and tested.seen_host_key:
        seen.update(host_key=tested.seen_host_key, fingerprint=fingerprint_label(tested.seen_host_key))
    elif isinstance(tested, FtpsTransport) and tested.seen_certificate:
        seen.update(certificate=tested.seen_fingerprint)
    return report, seen


def test_store(platform: str, credentials: dict, settings: dict) -> CheckReport:
    def check():
        connector = platforms()[platform](credentials, settings)
        try:
            return connector.test_connection()
        finally:
            connector.close()

    return _guarded(check, "Reach the store")


def declared_values(fields: tuple[CredentialField, ...], typed: dict, secrets: dict) -> dict:
    """The credentials to test and save: each declared field as typed (secrets typed now or kept), nothing else."""
    values = {f.name: (secrets if f.secret else typed).get(f.name, "") for f in fields}
    return {k: v for k, v in values.items() if v not in (None, "")}


def changed_labels(fields: tuple[CredentialField, ...], before: dict, after: dict) -> list[str]:
    """The labels of the declared fields whose value differs (for an activity entry; values are never written)."""
    return [f.label for f in fields if str(before.get(f.name) or "") != str(after.get(f.name) or "")]


def readable(credentials) -> dict:
    """The stored credentials as a dict; {} when no configured key opens them (they are then entered again)."""
    return {} if crypto.unreadable(credentials) else dict(credentials)


def record_check(connection: Connection, side: Side, outcome: Outcome) -> CredentialCheck:
    check, _ = CredentialCheck.objects.update_or_create(
        connection=connection, side=side, defaults={"at": outcome.at, "ok": outcome.ok, "message": outcome.message})
    return check


def last_checks(connection: Connection) -> dict[Side, CredentialCheck]:
    """The last real Test Connection of each side, by side; a side never tested is missing."""
    return {Side(c.side): c for c in CredentialCheck.objects.filter(connection=connection)}


def _settle(connections, side: Side, outcome: Outcome) -> None:
    """Every connection using the side's store or warehouse gets the outcome; a pass clears their mark."""
    for conn in connections:
        record_check(conn, side, outcome)
    if outcome.ok:
        Connection.objects.filter(pk__in=[c.pk for c in connections]).update(**{AUTH_ERROR_FIELDS[side]: ""})


def _entry(what: str, changed: list[str], outcome: Outcome) -> str:
    """The activity sentence: which fields changed (never their values) and how the test went."""
    fields = f" ({', '.join(changed)})" if changed else ", unchanged,"
    result = ("Test Connection passed" if outcome.ok else
              f"saved although Test Connection failed: {outcome.message.rstrip('.')}")
    return f"{what}{fields} — {result}."


@transaction.atomic
def save_store_credentials(connection: Connection, credentials: dict, outcome: Outcome, actor: Actor, *,
                           what: str = "Saved the store credentials") -> list[str]:
    """Store `credentials` (declared fields only) encrypted on the connection's store; returns the changed labels."""
    store = Store.objects.select_for_update().get(pk=connection.store_id)
    fields = platforms()[store.platform].credential_fields
    changed = changed_labels(fields, readable(store.credentials), credentials)
    store.credentials = dict(credentials)
    store.save(update_fields=["credentials"])
    _settle(list(Connection.objects.filter(store=store)), Side.STORE, outcome)
    ConnectionActivity.log(connection, actor, _entry(what, changed, outcome),
                           level="info" if outcome.ok else "warning")
    connection.refresh_from_db()
    return changed


@transaction.atomic
def save_warehouse_credentials(connection: Connection, credentials: dict, outcome: Outcome, actor: Actor, *,
                               seen_host_key: str = "") -> list[str]:
    """Store `credentials` encrypted on the connection's warehouse (shared by all its connections).

    `seen_host_key`: the SFTP key the test met; when it is not the pinned one, it waits for an administrator to
    accept it (the connection page's server identity card), as a run's refusal would."""
    warehouse = Warehouse.objects.select_for_update().get(pk=connection.warehouse_id)
    fields = file_transports.transport_class(warehouse.transport).credential_fields
    changed = changed_labels(fields, readable(warehouse.credentials), credentials)
    warehouse.credentials = dict(credentials)
    warehouse.save(update_fields=["credentials"])
    if seen_host_key and seen_host_key != (warehouse.settings or {}).get("host_key"):
        warehouse.record_offered_host_key(seen_host_key)
    _settle(list(Connection.objects.filter(warehouse=warehouse)), Side.WAREHOUSE, outcome)
    ConnectionActivity.log(connection, actor, _entry("Saved the warehouse credentials", changed, outcome),
                           level="info" if outcome.ok else "warning")
    connection.refresh_from_db()
    return changed
