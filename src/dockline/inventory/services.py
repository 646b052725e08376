"""Warehouse stock in, store stock out."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dockline.connections.models import Connection, Warehouse
from dockline.core.types import StockUpdate
from dockline.inventory.models import PushedStock, StockLevel
from dockline.mapping.models import Listing
from dockline.sync.scheduler import ensure_lease
from dockline.warehouses.models import ExchangeRecord
from dockline.warehouses.services import Handled, receive_files


def pull_inventory(warehouse: Warehouse, transport, fmt) -> dict:
    def handle(data: bytes, record: ExchangeRecord) -> Handled:
        parsed = fmt.parse_inventory(data)
        for level in parsed.items:
            StockLevel.objects.update_or_create(
                warehouse=warehouse, sku=level.sku,
                defaults={"on_hand": level.on_hand, "available": level.available,
                          "facility": level.facility, "as_of": level.as_of or timezone.now()},
            )
        return Handled(keys=[lv.sku for lv in parsed.items], errors=list(parsed.errors))

    return receive_files(warehouse, transport, "inventory", fmt.inventory_pattern, handle)


def store_quantities(connection: Connection) -> tuple[dict[str, int], dict[str, str]]:
    """Quantities to show in the store by store SKU, and the store SKUs that cannot be computed (with why).

    A listing's quantity is how many whole units its components make; a
    warehouse SKU no listing claims is offered to the store under its own SKU.
    """
    available = {
        s.sku: max(s.available, 0) for s in StockLevel.objects.filter(warehouse=connection.warehouse_id)
    }
    quantities: dict[str, int] = {}
    unknown: dict[str, str] = {}
    for listing in Listing.objects.filter(connection=connection).prefetch_related("components"):
        comps = list(listing.components.all())
        missing = [c.warehouse_sku for c in comps if c.warehouse_sku not in available]
        if missing or not comps:
            unknown[listing.store_sku] = f"the warehouse has not reported SKU {', '.join(missing) or '(none)'}"
            continue
        quantities[listing.store_sku] = min(available[c.warehouse_sku] // c.quantity for c in comps)
    for sku, qty in available.items():
        if sku not in quantities and sku not in unknown:
            quantities[sku] = qty
    return quantities, unknown


def push_inventory(connection: Connection, connector, *, full: bool = False) -> dict:
    """Write available quantities to the store: only changed ones (smart) or all (full)."""
    quantities, _ = store_quantities(connection)
    last = {p.store_sku: p for p in PushedStock.objects.filter(connection=connection)}
    updates = [
        StockUpdate(sku, qty) for sku, qty in sorted(quantities.items())
        if full or sku not in last or last[sku].quantity != qty
    ]
    if not updates:
        return {"updated": 0, "skipped": 0}
    ensure_lease()
    result = connector.push_stock(updates)
    now = timezone.now()
    wanted = {u.sku: u.quantity for u in updates}
    with transaction.atomic():
        for sku in result.updated:
            PushedStock.objects.update_or_create(
                connection=connection, store_sku=sku,
                defaults={"quantity": wanted[sku], "pushed_at": now, "skipped_reason": ""},
            )
        for sku, reason in result.skipped:
            PushedStock.objects.update_or_create(
                connection=connection, store_sku=sku,
                defaults={"quantity": wanted[sku], "skipped_reason": reason},
            )
    return {"updated": len(result.updated), "skipped": len(result.skipped)}
