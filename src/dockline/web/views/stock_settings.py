"""A connection's warehouses (the first, then those it also ships from) and its stock settings: one view per verb."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.connections import services
from dockline.connections.models import BufferUnit, Connection, Routing
from dockline.warehouses.models import Warehouse
from dockline.web import scope
from dockline.web.forms import StockSettingsForm, WarehouseChoiceForm


def context(conn: Connection) -> dict:
    """What the connection page's Warehouses and stock card shows."""
    mine = conn.warehouses()
    return {"warehouses": mine, "others": list(conn.other_warehouses.select_related("warehouse")),
            "addable": Warehouse.objects.filter(organization=conn.organization).exclude(pk__in=[w.pk for w in mine]),
            "routings": Routing.choices, "buffer_units": BufferUnit.choices}


def _managed(request, pk: int) -> Connection:
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user))
    return conn


def _warehouse(request, conn: Connection) -> Warehouse | None:
    form = WarehouseChoiceForm(request.POST)
    if not form.is_valid():
        return None
    return get_object_or_404(Warehouse.objects.filter(organization=conn.organization), pk=form.cleaned_data["warehouse"])


@require_POST
@login_required
def stock_settings(request, pk: int):
    conn = _managed(request, pk)
    form = StockSettingsForm(request.POST)
    if not form.is_valid():
        for problem in form.problems():
            messages.error(request, problem)
        return redirect("connection", pk=conn.pk)
    data = form.cleaned_data
    services.update_stock_settings(conn, routing=data["routing"], buffer=data["stock_buffer"],
                                   buffer_unit=data["stock_buffer_unit"], minimum=data["stock_minimum"])
    messages.success(request, "Routing and stock settings saved.")
    return redirect("connection", pk=conn.pk)


@require_POST
@login_required
def add_warehouse(request, pk: int):
    return _change_other_warehouses(request, pk, services.add_other_warehouse, pick="Pick a warehouse to add.",
                                    done="{connection} also ships from {warehouse} now.")


@require_POST
@login_required
def remove_warehouse(request, pk: int):
    return _change_other_warehouses(request, pk, services.remove_other_warehouse,
                                    pick="Pick a warehouse to remove.",
                                    done="{connection} no longer ships from {warehouse}.")


def _change_other_warehouses(request, pk: int, change, *, pick: str, done: str):
    """`change(connection, warehouse)` for the warehouse picked; `pick` when none is, a refusal or `done` after."""
    conn = _managed(request, pk)
    warehouse = _warehouse(request, conn)
    if warehouse is None:
        messages.error(request, pick)
        return redirect("connection", pk=conn.pk)
    try:
        change(conn, warehouse)
    except services.ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(connection=conn.name, warehouse=warehouse.name))
    return redirect("connection", pk=conn.pk)
