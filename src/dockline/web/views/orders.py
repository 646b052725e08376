"""Orders: a filtered list with bulk actions, and one order's page with its actions."""
from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.orders import actions
from dockline.orders.status import EXPLANATIONS, OrderStatus
from dockline.web import scope
from dockline.web.ids import parse_id

PAGE = 200


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@login_required
def order_list(request):
    orders = scope.orders(request.user).select_related("store")
    f = {k: request.GET.get(k, "").strip() for k in ("status", "store", "since", "until", "q")}
    if f["status"] in OrderStatus.values:
        orders = orders.filter(status=f["status"])
    if f["store"]:
        orders = orders.filter(store_id=parse_id(f["store"], "store"))
    if since := _date(f["since"]):
        orders = orders.filter(placed_at__date__gte=since)
    if until := _date(f["until"]):
        orders = orders.filter(placed_at__date__lte=until)
    if f["q"]:
        q = f["q"].lstrip("#")
        orders = orders.filter(Q(number__iexact=q) | Q(lines__sku__iexact=q)).distinct()
    total = orders.count()
    return render(request, "web/orders.html", {
        "orders": orders[:PAGE], "total": total, "page": PAGE, "f": f,
        "statuses": [(s.value, s.label, EXPLANATIONS[s]) for s in OrderStatus],
        "stores": scope.stores(request.user), "can_act": permissions.can_manage_connections(request.user),
    })


@login_required
def order_detail(request, pk: int):
    order = get_object_or_404(scope.orders(request.user).select_related("store", "connection__warehouse"), pk=pk)
    return render(request, "web/order.html", {
        "order": order,
        "lines": order.lines.all(),
        "dispatches": order.dispatches.select_related("exchange", "warehouse"),
        "parts": order.parts.select_related("warehouse").prefetch_related("lines__order_line"),
        "shipments": order.shipments.prefetch_related("packages"),
        "activity": order.activity.all(),
        "can_act": permissions.can_manage_connections(request.user),
    })


@require_POST
@login_required
def order_action(request, pk: int):
    order = get_object_or_404(scope.orders(request.user), pk=pk)
    permissions.require(permissions.can_manage_connections(request.user))
    name = request.POST.get("action", "")
    permissions.require(name in actions.ACTIONS)
    try:
        actions.ACTIONS[name](order, request.user)
        order.refresh_from_db()
        messages.success(request, f"#{order.number}: {name} done; it is now {order.get_status_display()}.")
    except actions.ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect("order", pk=order.pk)


@require_POST
@login_required
def bulk_action(request):
    permissions.require(permissions.can_manage_connections(request.user))
    name = request.POST.get("action", "")
    ids = [parse_id(i, "order") for i in request.POST.getlist("ids")]
    if name not in actions.ACTIONS or not ids:
        messages.error(request, "Tick one or more orders and choose an action.")
    else:
        done, refused = actions.apply(name, scope.orders(request.user).filter(pk__in=ids), request.user)
        messages.success(request, f"{name.capitalize()}: done for {done} order(s).")
        for reason in refused[:5]:
            messages.warning(request, reason)
        if len(refused) > 5:
            messages.warning(request, f"…and {len(refused) - 5} more refused.")
    return redirect(request.POST.get("back") if (request.POST.get("back") or "").startswith("/orders/") else "orders")
