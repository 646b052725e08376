"""Stock: a connection's warehouse stock levels, and what was last pushed to its store."""
from __future__ import annotations

from ninja import Router

from dockline.api import scope
from dockline.api.schemas import PushOut, StockOut

router = Router(tags=["stock"])


@router.get("/connections/{connection_id}/stock", response=list[StockOut])
def stock_levels(request, connection_id: int, sku: str | None = None):
    rows = scope.stock(request.auth, connection_id)
    return rows.filter(sku=sku) if sku else rows


@router.get("/connections/{connection_id}/stock/pushes", response=list[PushOut])
def stock_pushes(request, connection_id: int):
    return scope.pushes(request.auth, connection_id)
