"""The connections view and one connection's page: switches, schedules, setup checklist, actions."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.connections import services
from dockline.connections.models import ChannelKind, InventoryMode, Side
from dockline.core.errors import ConnectorError
from dockline.inventory.services import ABSENT_MEANS_ZERO, absent_means_zero
from dockline.orders.held import needs_mapping
from dockline.platforms.base import Capability, platforms
from dockline.sync.health import setup_warnings
from dockline.sync.models import SyncRun
from dockline.warehouses.formats import format_class
from dockline.warehouses.transports.ftps import TlsMode, tls_mode
from dockline.web import scope
from dockline.web.views import trust


def _every(seconds: float) -> str:
    return f"{int(seconds)} s" if seconds < 60 else f"{int(seconds // 60)} min"


def _channels(conn) -> list[dict]:
    """Each channel with its last finished run, and whether one is running now."""
    rows = []
    for ch in conn.channels.order_by("id"):
        runs = SyncRun.objects.filter(channel=ch)
        rows.append({"channel": ch, "last": runs.exclude(ok=None).first(),
                     "running": runs.filter(ok=None, finished_at=None).exists(),
                     "minutes": int(ch.interval.total_seconds() // 60) or 1,
                     "every": _every(ch.interval.total_seconds())})
    return rows


def _platform_label(platform: str) -> str:
    cls = platforms().get(platform)
    return cls.label if cls else platform


def _format_label(name: str) -> str:
    try:
        return format_class(name).label
    except KeyError:
        return name


@login_required
def connection_list(request):
    conns = scope.connections(request.user).select_related("store", "merchant", "warehouse")
    return render(request, "web/connections.html", {
        "rows": [{"connection": c, "channels": _channels(c)} for c in conns],
        "can_manage": permissions.can_manage_connections(request.user),
        "can_delete": permissions.can_delete_connections(request.user), "kinds": ChannelKind.choices,
    })


def checklist(conn) -> list[dict]:
    """What a connection still needs before it runs well, each item pointing at where to fix it."""
    missing = needs_mapping([conn])
    skus = [m for m in missing if m.kind == "sku"]
    methods = [m for m in missing if m.kind == "shipping"]
    has_skus = conn.listings.exists() or conn.warehouse.stock.exists()
    last = SyncRun.objects.filter(channel__connection=conn).exclude(ok=None).first()
    if conn.has_auth_error:
        credentials = " ".join(f"{side.label}: {conn.auth_error(side)}" for side in Side if conn.auth_error(side))
    elif last is None:
        credentials = "Saved encrypted; no run has used them yet."
    elif last.ok:
        credentials = "Saved encrypted; they worked at the last run."
    else:
        credentials = f"The last run failed: {last.error}"
    return [
        {"label": "Store and warehouse credentials", "ok": not conn.has_auth_error and (last is None or bool(last.ok)),
         "detail": credentials, "link": ""},
        {"label": "SKUs mapped", "ok": has_skus and not skus,
         "detail": (f"{len(skus)} SKU(s) in recent orders have no listing." if skus else
                    "Listings or warehouse SKUs are known." if has_skus else
                    "No listings yet and the warehouse has not reported stock."), "link": "listings"},
        {"label": "Shipping methods mapped", "ok": conn.shipping_rules.exists() and not methods,
         "detail": (f"{len(methods)} shipping method(s) in recent orders have no rule." if methods else
                    "Shipping rules are set." if conn.shipping_rules.exists() else "No shipping rules yet."),
         "link": "shipping"},
        {"label": "Enabled", "ok": conn.enabled,
         "detail": "Channels run on their schedules." if conn.enabled else "Nothing runs until you enable it.",
         "link": ""},
        *_platform_items(conn),
        *_identity_items(conn),
    ]


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


@login_required
def connection_detail(request, pk: int):
    conn = scope.connection(request.user, pk)
    return render(request, "web/connection.html", {
        "connection": conn, "channels": _channels(conn), "checklist": checklist(conn),
        "setup_warnings": setup_warnings(conn),
        "platform_label": _platform_label(conn.store.platform),
        "format_label": _format_label(conn.warehouse.file_format),
        "inventory_modes": InventoryMode.choices, "absent_means_zero": absent_means_zero(conn.warehouse),
        "can_manage": permissions.can_manage_connections(request.user),
        "can_delete": permissions.can_delete_connections(request.user), "kinds": ChannelKind.choices,
        **trust.trust_context(request, conn),
    })


@login_required
def connection_runs(request, pk: int):
    """The channels table alone, refreshed by htmx while the page is open."""
    conn = scope.connection(request.user, pk)
    return render(request, "web/_runs.html", {"connection": conn, "channels": _channels(conn)})


@require_POST
@login_required
def connection_action(request, pk: int, action: str):
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user))
    try:
        if action == "enable":
            note = services.enable(conn)
            messages.success(request, f"{conn.name} is enabled; its channels run now and then on schedule.")
            if note:
                messages.warning(request, note)
        elif action == "disable":
            services.disable(conn)
            messages.success(request, f"{conn.name} is disabled; nothing runs for it until enabled again.")
        elif action == "sync":
            kind = request.POST.get("kind") or None
            if kind and kind not in ChannelKind.values:
                permissions.require(False)
            services.sync_now(conn, kind)
            what = ChannelKind(kind).label.lower() if kind else "every channel"
            messages.success(request, f"Sync of {what} for {conn.name} starts within seconds.")
        elif action == "delete":
            permissions.require(permissions.can_delete_connections(request.user))
            if conn.enabled:
                services.disable(conn)
            name = conn.name
            conn.delete()
            messages.success(request, f"Connection {name} was deleted.")
            return redirect("connections")
        else:
            permissions.require(False)
    except ConnectorError as exc:
        messages.error(request, f"{conn.store.name}: {exc.message}")
    if request.POST.get("back") == "list":
        return redirect("connections")
    return redirect("connection", pk=conn.pk)


@require_POST
@login_required
def connection_settings(request, pk: int):
    """Edit: the name, each channel's switch and interval, the inventory mode, and what a missing SKU means."""
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user))
    name = request.POST.get("name", "").strip()
    if name:
        conn.name = name
    if request.POST.get("inventory_mode") in InventoryMode.values:
        conn.inventory_mode = request.POST["inventory_mode"]
    conn.save(update_fields=["name", "inventory_mode"])
    warehouse = conn.warehouse
    warehouse.settings = {**warehouse.settings, ABSENT_MEANS_ZERO: request.POST.get(ABSENT_MEANS_ZERO) == "on"}
    warehouse.save(update_fields=["settings"])
    problems = []
    for ch in conn.channels.all():
        ch.enabled = request.POST.get(f"{ch.kind}_enabled") == "on"
        raw = request.POST.get(f"{ch.kind}_minutes", "")
        if raw.isdigit() and 1 <= int(raw) <= 7 * 24 * 60:
            ch.interval = timedelta(minutes=int(raw))
        else:
            problems.append(f"{ch.get_kind_display()}: the interval must be 1 to 10080 minutes, not '{raw}'.")
        ch.save(update_fields=["enabled", "interval"])
    for p in problems:
        messages.error(request, p)
    if not problems:
        messages.success(request, "Settings saved.")
    return redirect("connection", pk=conn.pk)
