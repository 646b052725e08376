"""Dashboard pages. Views only read and scope; the work lives in the domain services."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from dockline.orders.status import EXPLANATIONS, OrderStatus
from dockline.sync.models import SyncRun
from dockline.web import scope


@login_required
def home(request):
    conns = scope.connections(request.user).select_related("store", "merchant", "warehouse")
    rows = []
    for conn in conns:
        channels = []
        for channel in conn.channels.order_by("id"):
            channels.append({"channel": channel, "last": SyncRun.objects.filter(channel=channel).first()})
        rows.append({"connection": conn, "channels": channels})
    counts = dict(
        scope.orders(request.user).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    statuses = [(s, counts.get(s.value, 0)) for s in OrderStatus]
    return render(request, "web/home.html", {"rows": rows, "statuses": statuses})


@login_required
def order_list(request):
    orders = scope.orders(request.user).select_related("store")
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return render(request, "web/orders.html", {
        "orders": orders[:200], "status": status, "statuses": OrderStatus.choices, "explanations": EXPLANATIONS,
    })


@login_required
def order_detail(request, pk: int):
    order = get_object_or_404(scope.orders(request.user).select_related("store", "connection__warehouse"), pk=pk)
    return render(request, "web/order.html", {
        "order": order,
        "lines": order.lines.all(),
        "dispatches": order.dispatches.select_related("exchange"),
        "shipments": order.shipments.prefetch_related("packages"),
        "activity": order.activity.all(),
    })
