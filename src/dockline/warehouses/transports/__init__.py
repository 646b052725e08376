"""File transports to a warehouse's file drop, by name (each registers itself in transports.base)."""
from __future__ import annotations

from dockline.warehouses.transports.base import REGISTRY, Transport


def transport_class(name: str) -> type[Transport]:
    return REGISTRY.get(name)


def transports() -> dict[str, type[Transport]]:
    """Every warehouse transport, ordered by name."""
    return REGISTRY.all()
