"""What the connection pages show, read in a fixed number of queries: channel rows, setup warnings, checklist.

Every function takes what `web/scope.py` gave (a user, or a connection already scoped to the user), so
another organization's connection is never read. Channel rows cost the same whatever the number of
channels, runs or connections: the last finished run and "running now" are annotated, not asked per row.
"""
from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Subquery

from dockline.connections.credentials import last_checks
from dockline.connections.models import Channel, Connection, CredentialCheck, Side
from dockline.core import durations
from dockline.core.errors import ConnectorError
from dockline.orders.held import needs_mapping
from dockline.platforms.base import Capability, platforms
from dockline.sync.health import SetupWarning, warning_for
from dockline.sync.models import SyncRun
from dockline.warehouses.transports.ftps import TlsMode, tls_mode
from dockline.web import runs, scope


def _annotated_channels():
    finished = SyncRun.objects.filter(channel=OuterRef("pk")).exclude(ok=None).order_by("-started_at", "-id")
    return Channel.objects.annotate(
        last_run_id=Subquery(finished.values("id")[:1]),
        running=Exists(SyncRun.objects.filter(channel=OuterRef("pk"), ok=None, finished_at=None)),
    ).order_by("id")


def _rows(channels: list[Channel]) -> list[dict]:
    """Each channel with its last finished run (one query for all of them), and whether one is running now."""
    ids = [ch.last_run_id for ch in channels if ch.last_run_id]
    runs = SyncRun.objects.in_bulk(ids) if ids else {}
    return [{"channel": ch, "last": runs.get(ch.last_run_id), "running": ch.running,
             "every": durations.describe(ch.interval), "every_number": durations.natural(ch.interval)[0],
             "every_unit": durations.natural(ch.interval)[1]} for ch in channels]


def channel_rows(connection: Connection) -> list[dict]:
    """One scoped connection's channels, for its page and the runs table htmx refreshes."""
    return _rows(list(_annotated_channels().filter(connection=connection)))


def connection_rows(user) -> list[dict]:
    """The connections list: each connection the user sees, with its channel rows."""
    conns = list(scope.connections(user).select_related("store", "merchant", "warehouse").prefetch_related(
        Prefetch("channels", queryset=_annotated_channels(), to_attr="annotated_channels")))
    rows = _rows([ch for c in conns for ch in c.annotated_channels])
    by_channel = {row["channel"].pk: row for row in rows}
    result = []
    for c in conns:
        channels = [by_channel[ch.pk] for ch in c.annotated_channels]
        result.append({"connection": c, "channels": channels, "failing": runs.failing(channels)})
    return result


def setup_warnings(rows: list[dict]) -> list[SetupWarning]:
    """The setup warnings (`sync.health`) of a connection's channel rows, read from the runs already loaded."""
    return [w for w in (warning_for(row["channel"], row["last"]) for row in rows) if w]


def checklist(conn: Connection) -> list[dict]:
    """What a connection still needs before it runs well, each item pointing at where to fix it."""
    missing = needs_mapping([conn])
    skus = [m for m in missing if m.kind == "sku"]
    methods = [m for m in missing if m.kind == "shipping"]
    has_skus = conn.listings.exists() or conn.warehouse.stock.exists()
    has_rules = conn.shipping_rules.exists()
    imported = conn.orders.exists()
    return [
        _credentials_item(conn),
        {"label": "SKUs mapped", "ok": (has_skus and not skus) if imported or skus or not has_skus else None,
         "detail": (f"{len(skus)} SKU(s) in recent orders have no listing." if skus else
                    "Listings or warehouse SKUs are known." if has_skus and imported else
                    "Listings or warehouse SKUs are known; no order is imported yet to check them against."
                    if has_skus else "No listings yet and the warehouse has not reported stock."), "link": "listings"},
        {"label": "Shipping methods mapped", "ok": has_rules and not methods,
         "detail": (f"{len(methods)} shipping method(s) in recent orders have no rule." if methods else
                    "Shipping rules are set." if has_rules else "No shipping rules yet."),
         "link": "shipping"},
        {"label": "Enabled", "ok": conn.enabled,
         "detail": "Channels run on their schedules." if conn.enabled else "Nothing runs until you enable it.",
         "link": ""},
        *_platform_items(conn),
        *_identity_items(conn),
    ]


def _credentials_item(conn: Connection) -> dict:
    """Each side as it really is: needs re-authorization, worked at a run, or its last Test Connection (or none)."""
    checks = last_checks(conn)
    last = SyncRun.objects.filter(channel__connection=conn).exclude(ok=None).first()
    states = [_side_state(conn, side, checks.get(side), last) for side in Side]
    detail = " ".join(text for _, text in states)
    if last is not None and not last.ok:
        detail += f" The last run failed: {last.error}"
    return {"label": "Store and warehouse credentials", "detail": detail, "link": "credentials",
            "ok": all(ok for ok, _ in states) and (last is None or bool(last.ok))}


def _side_state(conn: Connection, side: Side, check: CredentialCheck | None, last: SyncRun | None) -> tuple[bool, str]:
    if conn.auth_error(side):
        return False, f"{side.label}: needs re-authorization: {conn.auth_error(side)}"
    if last is not None and last.ok and (check is None or last.started_at >= check.at):
        return True, f"{side.label}: worked at the last run."
    if check is None:
        return False, f"{side.label}: never tested; run Test Connection on its credential screen."
    when = f"{check.at:%Y-%m-%d %H:%M} UTC"
    if check.ok:
        return True, f"{side.label}: passed Test Connection at {when}."
    return False, f"{side.label}: failed Test Connection at {when}: {check.message}"


def _identity_items(conn) -> list[dict]:
    """Whether runs recognize the warehouse's server: a pinned SFTP host key, a checked FTPS certificate."""
    warehouse = conn.warehouse
    label = "Warehouse server identity"
    if warehouse.transport == "sftp":
        if warehouse.offered_host_key_fingerprint:
            detail = (f"The SFTP server presented the host key {warehouse.offered_host_key_fingerprint}, which is not "
                      "pinned: runs stop until an administrator checks it with the warehouse and accepts it.")
            return [{"label": label, "ok": False, "detail": detail, "link": "trust"}]
        if not warehouse.host_key_fingerprint:
            return [{"label": label, "ok": False, "link": "trust",
                     "detail": "No SFTP host key is pinned: the first run records the key the server shows and "
                               "stops, for an administrator to accept it."}]
        return [{"label": label, "ok": True, "link": "trust",
                 "detail": f"SFTP host key pinned: {warehouse.host_key_fingerprint}."}]
    if warehouse.transport == "ftps":
        try:
            mode = tls_mode(warehouse.settings or {})
        except ConnectorError as exc:
            return [{"label": label, "ok": False, "detail": exc.message, "link": "trust"}]
        if mode is TlsMode.OFF:
            return [{"label": label, "ok": False, "link": "trust",
                     "detail": "Certificate checks are off: anyone between Dockline and the warehouse can read the "
                               "password and the orders. Choose a certificate check."}]
        return [{"label": label, "ok": True, "detail": f"FTPS certificate {mode.state}.", "link": "trust"}]
    return []


def _platform_items(conn) -> list[dict]:
    """What this store's platform cannot take (notes, ok=None), and the connector's own checks."""
    cls = platforms().get(conn.store.platform)
    if cls is None:
        return []
    items = []
    if Capability.SHIPMENTS not in cls.capabilities:
        items.append({"label": "Tracking back to the store", "ok": None, "link": "",
                      "detail": f"{cls.label} cannot receive tracking or fulfillment status: Dockline keeps the "
                                "tracking (each order's page shows it) and orders end Shipped, not Closed."})
    if Capability.INVENTORY not in cls.capabilities:
        items.append({"label": "Stock back to the store", "ok": None, "link": "",
                      "detail": f"{cls.label} takes no stock updates from Dockline."})
    items.extend(cls.checklist(conn))
    return items
