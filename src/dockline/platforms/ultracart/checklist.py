"""The UltraCart connection's setup checklist: UltraCart SKUs must match the warehouse's SKUs.

UltraCart sends the distribution center its own item ids, and inventory goes
back under the same ids, so every SKU UltraCart sells should be one the
warehouse reports.
"""
from __future__ import annotations

from dockline.connections.models import Connection
from dockline.inventory.models import StockLevel
from dockline.orders.models import OrderLine

REQUIREMENT = "UltraCart SKUs must match the warehouse's SKUs."


def unknown_skus(connection: Connection) -> list[str]:
    """SKUs on this connection's imported orders that the warehouse has never reported, sorted."""
    imported = set(
        OrderLine.objects.filter(order__connection=connection).exclude(sku="").values_list("sku", flat=True)
    )
    known = set(
        StockLevel.objects.filter(warehouse=connection.warehouse_id, sku__in=imported).values_list("sku", flat=True)
    )
    return sorted(imported - known)


def checklist_item(connection: Connection) -> dict:
    """The item for the connection page's setup checklist (same keys as web.views.connections.checklist)."""
    if not OrderLine.objects.filter(order__connection=connection).exists():  # nothing to check yet: no ✓
        return {"label": REQUIREMENT, "ok": None, "link": "listings",
                "detail": "No order is imported yet: checked once UltraCart orders arrive."}
    unknown = unknown_skus(connection)
    shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
    return {
        "label": REQUIREMENT,
        "ok": not unknown,
        "detail": (f"The warehouse has never reported {len(unknown)} SKU(s) from imported orders: {shown}."
                   if unknown else "Every SKU on imported orders is one the warehouse reports."),
        "link": "listings",
    }
