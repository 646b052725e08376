"""Stock per SKU: what the warehouse has available, and what was last pushed to each store, and when."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dockline.inventory.models import PushedStock, StockLevel
from dockline.inventory.services import store_quantities
from dockline.web import scope


@login_required
def inventory(request):
    tables = []
    for conn in scope.connections(request.user).select_related("store", "warehouse"):
        quantities, unknown = store_quantities(conn)
        pushed = {p.store_sku: p for p in PushedStock.objects.filter(connection=conn)}
        listings = {lst.store_sku: lst for lst in conn.listings.prefetch_related("components")}
        levels = {s.sku: s for s in StockLevel.objects.filter(warehouse=conn.warehouse_id)}
        rows = []
        for sku in sorted(set(quantities) | set(unknown) | set(pushed)):
            listing = listings.get(sku)
            comps = [(c.warehouse_sku, c.quantity) for c in listing.components.all()] if listing else [(sku, 1)]
            as_of = [levels[w].as_of for w, _ in comps if w in levels and levels[w].as_of]
            rows.append({"sku": sku, "components": comps if listing else [], "available": quantities.get(sku),
                         "unknown": unknown.get(sku, ""), "pushed": pushed.get(sku),
                         "as_of": min(as_of) if as_of else None})
        tables.append({"connection": conn, "rows": rows})
    return render(request, "web/inventory.html", {"tables": tables})
