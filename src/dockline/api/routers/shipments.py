"""Shipments the warehouses reported, newest first (keyset cursor), and one shipment."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router

from dockline.api import cursor as keyset
from dockline.api import scope
from dockline.api.schemas import ShipmentOut, ShipmentPage

router = Router(tags=["shipments"])


@router.get("/shipments", response=ShipmentPage)
def list_shipments(request, order: int | None = None, connection: int | None = None, cursor: str | None = None,
                   limit: int = 50):
    rows = scope.shipments(request.auth).prefetch_related("packages")
    if order:
        rows = rows.filter(order_id=order)
    if connection:
        rows = rows.filter(order__connection_id=connection)
    items, next_cursor = keyset.page(rows, "shipped_at", cursor, max(1, min(limit, keyset.MAX_LIMIT)))
    return {"items": items, "next_cursor": next_cursor}


@router.get("/shipments/{shipment_id}", response=ShipmentOut)
def get_shipment(request, shipment_id: int):
    return get_object_or_404(scope.shipments(request.auth).prefetch_related("packages"), pk=shipment_id)
