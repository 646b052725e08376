"""Warehouse file formats, by name (each registers itself in formats.base)."""
from __future__ import annotations

from dockline.warehouses.formats.base import REGISTRY, FileFormat


def format_class(name: str) -> type[FileFormat]:
    return REGISTRY.get(name)


def formats() -> dict[str, type[FileFormat]]:
    """Every warehouse file format, ordered by name."""
    return REGISTRY.all()
