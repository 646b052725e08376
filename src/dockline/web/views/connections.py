"""The connections list and one connection's page, and one view per thing a person does to a connection."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.connections import services
from dockline.connections.models import ChannelKind, InventoryMode
from dockline.core.durations import UNITS
from dockline.core.errors import ConnectorError
from dockline.inventory.services import ABSENT_MEANS_ZERO, absent_means_zero
from dockline.platforms.base import platforms
from dockline.warehouses.formats import format_class
from dockline.web import fragments, runs, scope, summaries
from dockline.web.forms import ConnectionSettingsForm
from dockline.web.views import stock_settings, trust

UNIT_CHOICES = [unit for unit, _ in reversed(UNITS)]


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
    return render(request, "web/connections.html", {
        "rows": summaries.connection_rows(request.user),
        "can_manage": permissions.can_manage_connections(request.user),
        "can_delete": permissions.can_delete_connections(request.user), "kinds": ChannelKind.choices,
    })


def _history_context(conn, request, size: int = runs.PAGE_SIZE) -> dict:
    before = request.GET.get("before", "")
    page = runs.run_history(conn, kind=request.GET.get("channel", ""), size=size,
                            before=int(before) if before.isdigit() else None)
    return {"history": page, "history_tabs": [("", "All channels"), *ChannelKind.choices]}


@login_required
def connection_detail(request, pk: int):
    conn = scope.connection(request.user, pk)
    channels = summaries.channel_rows(conn)
    return render(request, "web/connection.html", {
        "connection": conn, "channels": channels, "failing": runs.failing(channels), "units": UNIT_CHOICES,
        **_history_context(conn, request, size=10), "checklist": summaries.checklist(conn),
        "setup_warnings": summaries.setup_warnings(channels),
        "platform_label": _platform_label(conn.store.platform),
        "format_label": _format_label(conn.warehouse.file_format),
        "inventory_modes": InventoryMode.choices, "absent_means_zero": absent_means_zero(conn.warehouse),
        "can_manage": permissions.can_manage_connections(request.user),
        "can_delete": permissions.can_delete_connections(request.user), "kinds": ChannelKind.choices,
        "stock": stock_settings.context(conn), **trust.trust_context(request, conn),
    })


@login_required
def connection_runs(request, pk: int):
    """The channels table (next and last runs) and the paged run history: a full page when opened, the
    channels table alone for htmx, which refreshes it while the connection's page is open."""
    conn = scope.connection(request.user, pk)
    channels = summaries.channel_rows(conn)
    context = {"connection": conn, "channels": channels, "failing": runs.failing(channels)}
    return fragments.render_part(request, "web/_runs.html", "web/runs.html", context, lambda: {
        **_history_context(conn, request), "time_zone": timezone.get_current_timezone_name()})


def _managed(request, pk: int):
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user))
    return conn


def _back(request, conn):
    """Back to the list when the button was on it, else to the connection's page."""
    return redirect("connections") if request.POST.get("back") == "list" else redirect("connection", pk=conn.pk)


@require_POST
@login_required
def connection_enable(request, pk: int):
    conn = _managed(request, pk)
    try:
        note = services.enable(conn)
    except ConnectorError as exc:
        messages.error(request, f"{conn.store.name}: {exc.message}")
        return _back(request, conn)
    messages.success(request, f"{conn.name} is enabled; its channels run now and then on schedule.")
    if note:
        messages.warning(request, note)
    return _back(request, conn)


@require_POST
@login_required
def connection_disable(request, pk: int):
    conn = _managed(request, pk)
    try:
        services.disable(conn)
    except ConnectorError as exc:
        messages.error(request, f"{conn.store.name}: {exc.message}")
        return _back(request, conn)
    messages.success(request, f"{conn.name} is disabled; nothing runs for it until enabled again.")
    return _back(request, conn)


@require_POST
@login_required
def connection_sync(request, pk: int):
    """Sync now: one channel (`kind`) or every channel."""
    conn = _managed(request, pk)
    kind = request.POST.get("kind") or None
    if kind and kind not in ChannelKind.values:
        permissions.require(False)
    what = ChannelKind(kind).label.lower() if kind else "every channel"
    if not conn.enabled:
        messages.warning(request, f"{conn.name} is disabled: the sync of {what} will not run until you enable it.")
        return _back(request, conn)
    services.sync_now(conn, kind)
    messages.success(request, f"Sync of {what} for {conn.name} starts within seconds.")
    return _back(request, conn)


@require_POST
@login_required
def connection_delete(request, pk: int):
    conn = _managed(request, pk)
    permissions.require(permissions.can_delete_connections(request.user))
    try:
        name = services.delete_connection(conn)
    except services.ActionRefused as exc:
        messages.error(request, str(exc))
        return _back(request, conn)
    except ConnectorError as exc:
        messages.error(request, f"{conn.store.name}: {exc.message}")
        return _back(request, conn)
    messages.success(request, f"Connection {name} was deleted.")
    return redirect("connections")


@require_POST
@login_required
def connection_settings(request, pk: int):
    """Edit: the name, each channel's switch and interval, the inventory mode, and what a missing SKU means."""
    conn = _managed(request, pk)
    form = ConnectionSettingsForm(request.POST, channels=conn.channels.all())
    form.is_valid()  # what is usable is saved; each unusable interval is said and keeps its value
    data = form.cleaned_data
    services.update_settings(conn, name=data.get("name", ""), inventory_mode=data.get("inventory_mode", ""),
                             schedules=form.schedules(),
                             warehouse_settings={ABSENT_MEANS_ZERO: data.get(ABSENT_MEANS_ZERO, False)})
    for problem in form.problems():
        messages.error(request, problem)
    if not form.problems():
        messages.success(request, "Settings saved.")
    return redirect("connection", pk=conn.pk)
