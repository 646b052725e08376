"""The Add Connection wizard's draft and its last step: what was typed, kept in the session between steps.

Secret fields are kept encrypted (core.crypto) in the session and dropped when the wizard ends;
they are shown back only masked. The server identity Test Connection saw (the SFTP host key, the FTPS
certificate's fingerprint) is kept too, with the host and port it came from: it is what gets pinned
when the connection is added, so the first run trusts only what a person was shown.

Each side's last Test Connection is kept with a keyed digest of the values it tested (`Draft.remember_test`):
the review step shows it only while those are still the values saved, the connection is added with a failed or
missing test only when the person ticks "Add anyway", and the result becomes the side's `CredentialCheck`.
"""
from __future__ import annotations

import json
from datetime import datetime

from django.db import transaction
from django.utils.crypto import salted_hmac

from dockline.accounts.models import Merchant
from dockline.connections.credentials import Outcome, record_check, server_address
from dockline.connections.models import Connection, Side, Store
from dockline.core import crypto
from dockline.inventory.services import ABSENT_MEANS_ZERO
from dockline.platforms.base import CheckReport
from dockline.warehouses import formats as file_formats
from dockline.warehouses import transports as file_transports
from dockline.warehouses.formats.base import FileFormat
from dockline.warehouses.models import Warehouse
from dockline.warehouses.transports.base import Folders, Transport

STEPS = [("basic", "Basic Information"), ("merchant", "Merchant Information"),
         ("warehouse", "Warehouse Setup"), ("store", "Store Setup"), ("review", "Add Connection")]
SESSION_KEY = "connection_wizard"
FOLDERS = [("inbox", "Inbox", "Dockline writes orders here"),
           ("outbox", "Outbox", "The warehouse writes shipments and stock here"),
           ("archive", "Archive", "Files Dockline has read move here"), ("error", "Error", "Unreadable files move here")]


def tested_digest(values: dict, secrets: dict) -> str:
    """A keyed digest of what a test depends on: transport or platform, values, folders, secrets, the warehouse
    reused. The SFTP key and FTPS pin are left out: saving pins what the test showed, so they differ by design."""
    trust = {k: v for k, v in (values.get("trust") or {}).items() if k not in ("host_key", "tls_pin")}
    what = {"kind": values.get("transport") or values.get("platform"), "credentials": values.get("credentials"),
            "settings": values.get("settings"), "folders": values.get("folders"), "trust": trust,
            "existing": values.get("existing_id"), "secrets": secrets}
    return salted_hmac("dockline.wizard.tested", json.dumps(what, sort_keys=True, default=str)).hexdigest()


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

    def remember_test(self, side: Side, report: CheckReport, values: dict, secrets: dict, *, now=None) -> None:
        """Keep the test just run with `values` and `secrets` (as the step would save them)."""
        outcome = Outcome.of(report, now=now)
        self.data.setdefault("tested", {})[side.value] = {
            "at": outcome.at.isoformat(), "ok": outcome.ok, "message": outcome.message,
            "values": tested_digest(values, secrets)}
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def last_test(self, side: Side) -> Outcome | None:
        """The side's last test if it ran with the values saved now; None when it never ran (or ran with others)."""
        got = (self.data.get("tested") or {}).get(side.value)
        if not got or got.get("values") != tested_digest(self.values(side.value), self.secrets(side.value)):
            return None
        return Outcome(datetime.fromisoformat(got["at"]), bool(got["ok"]), got.get("message", ""))

    def all_passed(self) -> bool:
        return all((t := self.last_test(side)) is not None and t.ok for side in Side)


@transaction.atomic
def create_connection(organization, draft: Draft) -> Connection:
    """Everything the wizard collected becomes a merchant (if new), warehouse, store and a disabled connection."""
    basic, merchant_step = draft.values("basic"), draft.values("merchant")
    wh, store = draft.values("warehouse"), draft.values("store")
    if merchant_step.get("choice") == "new":
        merchant, _ = Merchant.objects.get_or_create(organization=organization, name=merchant_step["new_name"])
    else:
        merchant = Merchant.objects.get(organization=organization, pk=merchant_step["merchant_id"])
    if wh.get("existing_id"):
        warehouse = Warehouse.objects.get(organization=organization, pk=wh["existing_id"])
    else:
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
    connection = Connection.objects.create(organization=organization, name=basic["name"], merchant=merchant,
                                           store=store_row, warehouse=warehouse)
    for side in Side:
        tested = draft.last_test(side)
        if tested is not None:
            record_check(connection, side, tested)
    return connection
