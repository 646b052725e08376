"""Orders: a filtered, searchable list paged by cursor (live, exportable as CSV), and one order's page.

The list refreshes itself: htmx asks the same address every few seconds and gets only the table
(`_orders_table.html`), so filters, the cursor and the scroll position stay as they are.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.orders import actions, export
from dockline.orders.status import EXPLANATIONS, OrderStatus
from dockline.web import order_list, scope
from dockline.web.ids import parse_id

SHOWN_OUTCOMES = 10  # per-order lines after a bulk action; the summary counts them all


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
def order_list_view(request):
    f = order_list.read_filters(request.GET)
    orders = order_list.apply_filters(order_list.visible_orders(request.user), f)
    page = order_list.page(orders, after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    total, capped = order_list.count(orders)
    query = {k: v for k, v in f.items() if v}
    can_act = permissions.can_manage_connections(request.user)
    context = {
        "page": page, "orders": [(o, order_list.ship_to(o), " ".join(actions.offered(o.status))) for o in page.orders], "total": total, "capped": capped,
        "f": f, "query": query, "can_act": can_act,
        "bulk": [(a, actions.LABELS[a], actions.HINTS[a]) for a in actions.offered_for(o.status for o in page.orders)]
        if can_act else [],
    }
    if _is_htmx(request):
        return render(request, "web/_orders_table.html", context)
    return render(request, "web/orders.html", {
        **context, "statuses": [(s.value, s.label, EXPLANATIONS[s]) for s in OrderStatus],
        "stores": scope.stores(request.user),
    })


@login_required
def order_export(request):
    """The filtered list as CSV, every matching order, streamed in keyset chunks (`orders/export.py`)."""
    f = order_list.read_filters(request.GET)
    orders = order_list.apply_filters(order_list.visible_orders(request.user), f)
    lines = export.csv_lines(order_list.CSV_HEADER, order_list.csv_rows(orders))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
    return response


@login_required
def order_detail(request, pk: int):
    order = get_object_or_404(scope.orders(request.user).select_related("store", "connection__warehouse"), pk=pk)
    can_act = permissions.can_manage_connections(request.user)
    return render(request, "web/order.html", {
        "order": order,
        "ship": order_list.ship_to(order),
        "lines": order.lines.all(),
        "dispatches": order.dispatches.select_related("exchange", "warehouse"),
        "parts": order.parts.select_related("warehouse").prefetch_related("lines__order_line"),
        "shipments": order.shipments.prefetch_related("packages"),
        "activity": order.activity.all(),
        "can_act": can_act,
        "offered": [(a, actions.LABELS[a], actions.HINTS[a]) for a in actions.offered(order.status)] if can_act else [],
    })


@require_POST
@login_required
def order_action(request, pk: int):
    order = get_object_or_404(scope.orders(request.user), pk=pk)
    permissions.require(permissions.can_manage_connections(request.user))
    name = request.POST.get("action", "")
    permissions.require(name in actions.ACTIONS)
    outcome = actions.run(name, order, request.user)
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
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
        outcomes = actions.apply(name, scope.orders(request.user).filter(pk__in=ids).order_by("id"), request.user)
        good = all(o.ok for o in outcomes)
        (messages.success if good else messages.warning)(request, actions.summary(name, outcomes))
        for o in outcomes[:SHOWN_OUTCOMES]:
            (messages.info if o.ok else messages.error)(request, o.message)
        if len(outcomes) > SHOWN_OUTCOMES:
            messages.info(request, f"…and {len(outcomes) - SHOWN_OUTCOMES} more; the list shows their statuses.")
    back = request.POST.get("back") or ""
    return redirect(back if back.startswith("/orders/") else "orders")
