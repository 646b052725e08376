"""The Add Connection wizard's draft and its last step: what was typed, kept in the session between steps.

Secret fields are kept encrypted (core.crypto) in the session and dropped when the wizard ends;
they are shown back only masked. The server identity Test Connection saw (the SFTP host key, the FTPS
certificate's fingerprint) is kept too, with the host and port it came from: it is what gets pinned
when the connection is added, so the first run trusts only what a person was shown.
"""
from __future__ import annotations

from django.db import transaction

from dockline.accounts.models import Merchant
from dockline.connections.models import Connection, Store
from dockline.core import crypto
from dockline.core.errors import ConnectorError
from dockline.inventory.services import ABSENT_MEANS_ZERO
from dockline.platforms.base import CheckReport, platforms
from dockline.warehouses import formats as file_formats
from dockline.warehouses import transports as file_transports
from dockline.warehouses.formats.base import FileFormat
from dockline.warehouses.models import Warehouse
from dockline.warehouses.transports.base import Folders, Transport, TransportConfig
from dockline.warehouses.transports.ftps import FtpsTransport
from dockline.warehouses.transports.sftp import SftpTransport, fingerprint_label

STEPS = [("basic", "Basic Information"), ("merchant", "Merchant Information"),
         ("warehouse", "Warehouse Setup"), ("store", "Store Setup"), ("review", "Add Connection")]
SESSION_KEY = "connection_wizard"
FOLDERS = [("inbox", "Inbox", "Dockline writes orders here"),
           ("outbox", "Outbox", "The warehouse writes shipments and stock here"),
           ("archive", "Archive", "Files Dockline has read move here"), ("error", "Error", "Unreadable files move here")]


def transports() -> dict[str, type[Transport]]:
    """The transports the warehouse step offers: every registered one."""
    return file_transports.transports()


def formats() -> dict[str, type[FileFormat]]:
    """The file formats the warehouse step offers: every registered one."""
    return file_formats.formats()


def folder_defaults() -> dict[str, str]:
    defaults = Folders()
    return {name: getattr(defaults, name) for name, _, _ in FOLDERS}


class Draft:
    """The wizard's values by step; secrets live in one encrypted token."""

    def __init__(self, session):
        self.session = session
        self.data = session.get(SESSION_KEY) or {"steps": {}, "secrets": ""}

    def values(self, step: str) -> dict:
        return dict(self.data["steps"].get(step, {}))

    def secrets(self, step: str) -> dict:
        token = self.data.get("secrets")
        return dict(crypto.decrypt(token).get(step, {})) if token else {}

    def save(self, step: str, values: dict, secrets: dict | None = None) -> None:
        self.data["steps"][step] = values
        if secrets is not None:
            every = crypto.decrypt(self.data["secrets"]) if self.data.get("secrets") else {}
            every[step] = secrets
            self.data["secrets"] = crypto.encrypt(every)
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def remember_seen(self, seen: dict) -> None:
        """What the last warehouse Test Connection saw of the server: {"transport", "host", "port", ...}."""
        self.data["seen"] = seen
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def seen(self, transport: str, credentials: dict) -> dict:
        """The identity seen at Test Connection, if it was seen on this very server; else {}."""
        seen = self.data.get("seen") or {}
        return seen if seen.get("where") == server_address(transport, credentials) else {}

    def mark(self, step: str, *, valid: bool) -> None:
        """Whether the step's saved values passed its checks (typing is kept either way)."""
        self.data.setdefault("valid", {})[step] = valid
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def done(self, step: str) -> bool:
        """Saved and valid: only then may the wizard go past it (and review create the connection)."""
        return bool(self.data.get("valid", {}).get(step))

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)


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
    """Test Connection, and what it saw of the server's identity (for `Draft.remember_seen`)."""
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


@transaction.atomic
def create_connection(organization, draft: Draft) -> Connection:
    """Everything the wizard collected becomes a merchant (if new), warehouse, store and a disabled connection."""
    basic, merchant_step = draft.values("basic"), draft.values("merchant")
    wh, store = draft.values("warehouse"), draft.values("store")
    if merchant_step.get("choice") == "new":
        merchant, _ = Merchant.objects.get_or_create(organization=organization, name=merchant_step["new_name"])
    else:
        merchant = Merchant.objects.get(organization=organization, pk=merchant_step["merchant_id"])
    warehouse = Warehouse.objects.create(
        organization=organization, name=wh["name"], transport=wh["transport"], file_format=wh["format"],
        credentials={**wh["credentials"], **draft.secrets("warehouse")},
        settings={**wh["folders"], ABSENT_MEANS_ZERO: wh.get(ABSENT_MEANS_ZERO, True),
                  **{k: v for k, v in (wh.get("trust") or {}).items() if v}},
    )
    store_row = Store.objects.create(
        organization=organization, merchant=merchant, name=store["name"], platform=store["platform"],
        credentials={**store["credentials"], **draft.secrets("store")}, settings=store["settings"],
    )
    return Connection.objects.create(organization=organization, name=basic["name"], merchant=merchant,
                                     store=store_row, warehouse=warehouse)
