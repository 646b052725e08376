"""Connections: list, get, enable, disable, and run a channel now."""
from __future__ import annotations

from ninja import Router

from dockline.api import scope
from dockline.api.schemas import ConnectionChange, ConnectionOut, SyncIn, SyncOut
from dockline.connections import services
from dockline.connections.models import ChannelKind
from dockline.connections.services import ActionRefused
from dockline.web import scope as web_scope

router = Router(tags=["connections"])


@router.get("/connections", response=list[ConnectionOut])
def list_connections(request):
    return web_scope.connections(request.auth).select_related("store", "merchant", "warehouse")


@router.get("/connections/{connection_id}", response=ConnectionOut)
def get_connection(request, connection_id: int):
    return scope.connection(request.auth, connection_id)


@router.post("/connections/{connection_id}/enable", response=ConnectionChange)
def enable_connection(request, connection_id: int):
    conn = scope.connection(request.auth, connection_id)
    note = services.enable(conn)
    return {"connection": conn, "note": note}


@router.post("/connections/{connection_id}/disable", response=ConnectionChange)
def disable_connection(request, connection_id: int):
    conn = scope.connection(request.auth, connection_id)
    services.disable(conn)
    return {"connection": conn, "note": ""}


@router.post("/connections/{connection_id}/sync", response=SyncOut)
def sync_connection(request, connection_id: int, body: SyncIn):
    conn = scope.connection(request.auth, connection_id)
    if body.channel and body.channel not in ChannelKind.values:
        raise ActionRefused(f"'{body.channel}' is not a channel; use one of {', '.join(ChannelKind.values)}.")
    if not conn.enabled:
        raise ActionRefused(f"{conn.name} is disabled; enable it first, then run its channels.")
    return {"channels": services.sync_now(conn, body.channel or None)}
