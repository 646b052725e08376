"""Health at a glance: orders per day by status, errors needing attention, connections needing attention.

The page refreshes itself: htmx asks for it every few seconds and gets only `_home_live.html`.
"""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dockline.orders.status import OrderStatus
from dockline.sync.models import SyncRun
from dockline.web import chart, order_list, scope


@login_required
def home(request):
    orders = order_list.visible_orders(request.user)
    conns = scope.connections(request.user).select_related("store", "merchant", "warehouse")
    failing = []
    for conn in conns.filter(enabled=True):
        for channel in conn.channels.order_by("id"):
            last = SyncRun.objects.filter(channel=channel).first()
            if last and last.ok is False:
                failing.append({"connection": conn, "channel": channel, "run": last})
    errors = orders.filter(status=OrderStatus.ERROR).select_related("store")
    failed = orders.filter(status=OrderStatus.FAILED).select_related("store")
    template = "web/_home_live.html" if request.headers.get("HX-Request") == "true" else "web/home.html"
    return render(request, template, {
        "chart": chart.orders_per_day(orders),
        "errors": errors[:8], "error_count": errors.count(), "failed": failed[:8], "failed_count": failed.count(),
        "reauth": conns.exclude(store_auth_error="", warehouse_auth_error=""), "failing": failing,
        "disabled": conns.filter(enabled=False), "connection_count": conns.count(),
    })
