"""Stock per SKU: each term of what is offered to the store (per warehouse: available, less what is in
flight; the buffer; the minimum), and what was last pushed to each store, and when."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dockline.inventory.models import PushedStock
from dockline.inventory.services import stock_terms
from dockline.web import scope


@login_required
def inventory(request):
    tables = []
    for conn in scope.connections(request.user).select_related("store", "warehouse"):
        terms, unknown = stock_terms(conn)
        pushed = {p.store_sku: p for p in PushedStock.objects.filter(connection=conn)}
        listings = {lst.store_sku: lst for lst in conn.listings.prefetch_related("components")}
        rows = []
        for sku in sorted(set(terms) | set(unknown) | set(pushed)):
            listing = listings.get(sku)
            comps = [(c.warehouse_sku, c.quantity) for c in listing.components.all()] if listing else []
            rows.append({"sku": sku, "components": comps, "terms": terms.get(sku), "unknown": unknown.get(sku, ""),
                         "pushed": pushed.get(sku)})
        tables.append({"connection": conn, "warehouses": conn.stock_warehouses(), "rows": rows})
    return render(request, "web/inventory.html", {"tables": tables})
