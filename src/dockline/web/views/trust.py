"""A warehouse's server identity on the connection page: accept a new SFTP host key, choose how the FTPS
certificate is checked (and Test Connection to see it). Only administrators change what is trusted."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.accounts.models import Role
from dockline.connections.credentials import server_address, test_warehouse
from dockline.core.errors import ConnectorError
from dockline.warehouses.transports.ftps import TlsMode, tls_mode
from dockline.warehouses.transports.sftp import fingerprint_label
from dockline.web import scope
from dockline.web.forms import TlsTrustForm

SEEN_KEY = "warehouse_seen_certificate"  # session: {"warehouse": pk, "where": ..., "certificate": fingerprint}


def can_change_trust(user) -> bool:
    return permissions.role(user) == Role.ADMIN


def _back(request, conn):
    """Where a trust form returns: the warehouse's credential screen when it was sent from there, else the
    connection page's server identity card."""
    if request.POST.get("back") == "credentials":
        return redirect(f"{reverse('warehouse_credentials', args=[conn.pk])}#trust")
    return redirect(f"{reverse('connection', args=[conn.pk])}#trust")


def trust_context(request, conn, form: TlsTrustForm | None = None) -> dict:
    """What the connection page's "Server identity" card shows."""
    warehouse = conn.warehouse
    settings = warehouse.settings or {}
    ctx = {"warehouse": warehouse, "can_change_trust": can_change_trust(request.user),
           "can_check": permissions.can_manage_connections(request.user),
           "activity": warehouse.activity.all()[:8], "offered": warehouse.offered_host_key_fingerprint,
           "pinned": warehouse.host_key_fingerprint}
    if warehouse.transport == "ftps":
        try:
            mode = tls_mode(settings)
        except ConnectorError:  # an unknown mode: shown as the default, replaced through the form
            mode = TlsMode.SYSTEM
        ctx.update(tls_mode=mode, tls_off=mode is TlsMode.OFF, tls_pin=settings.get("tls_pin", ""),
                   tls_form=form or TlsTrustForm(initial={"tls_mode": mode.value,
                                                          "tls_certificate": settings.get("tls_certificate", ""),
                                                          "tls_pin": settings.get("tls_pin", "")}),
                   tls_errors={k: " ".join(v) for k, v in (form.errors.items() if form else [])})
    return ctx


@require_POST
@login_required
def accept_host_key(request, pk: int):
    """Pin the host key the server offered, once an administrator has seen both fingerprints."""
    conn = scope.connection(request.user, pk)
    permissions.require(can_change_trust(request.user))
    try:
        shown = conn.warehouse.accept_offered_host_key(request.POST.get("fingerprint", ""), request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Host key {shown} accepted for {conn.warehouse.name}: runs use it from now on.")
    return _back(request, conn)


@require_POST
@login_required
def check_host_key(request, pk: int):
    """Connect as a run does: a key that is not pinned is recorded for an administrator, without waiting for a run."""
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user) and conn.warehouse.transport == "sftp")
    try:
        with conn.warehouse.open_transport() as transport:
            shown = fingerprint_label(transport.seen_host_key or "")
    except ConnectorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The server presented the pinned host key {shown}.")
    return _back(request, conn)


@require_POST
@login_required
def test_certificate(request, pk: int):
    """Test Connection with the certificate check being chosen; remembers the fingerprint seen, to pin."""
    conn = scope.connection(request.user, pk)
    permissions.require(can_change_trust(request.user))
    warehouse = conn.warehouse
    form = TlsTrustForm(request.POST, pin_required=False)
    if not form.is_valid():
        return render(request, "web/wizard/_report.html", {"errors": [" ".join(v) for v in form.errors.values()]})
    creds = dict(warehouse.credentials)
    settings = {k: v for k, v in warehouse.settings.items() if k not in ("tls_mode", "tls_certificate", "tls_pin",
                                                                          "verify_tls")}
    report, seen = test_warehouse(warehouse.transport, creds, {**settings, **form.trust()})
    if seen.get("certificate"):
        request.session[SEEN_KEY] = {"warehouse": warehouse.pk, **seen}
    return render(request, "web/wizard/_report.html", {"report": report, "seen": seen})


@require_POST
@login_required
def save_certificate_check(request, pk: int):
    conn = scope.connection(request.user, pk)
    permissions.require(can_change_trust(request.user) and conn.warehouse.transport == "ftps")
    warehouse = conn.warehouse
    seen = request.session.get(SEEN_KEY) or {}
    same = seen.get("warehouse") == warehouse.pk and seen.get("where") == server_address(
        warehouse.transport, warehouse.credentials)
    form = TlsTrustForm(request.POST, seen_fingerprint=seen.get("certificate", "") if same else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request, conn)
    warehouse.set_tls_trust(form.trust(), request.user)
    request.session.pop(SEEN_KEY, None)
    mode = tls_mode(warehouse.settings)
    if mode is TlsMode.OFF:
        messages.warning(request, "Certificate checks are off for this warehouse: anyone on the way can read the "
                                  "password and the orders.")
    else:
        messages.success(request, f"Saved: the FTPS certificate is {mode.state}.")
    return _back(request, conn)
