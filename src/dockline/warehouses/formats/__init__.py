"""Warehouse file formats, by name."""
from __future__ import annotations

from dockline.warehouses.formats.base import FileFormat


def format_class(name: str) -> type[FileFormat]:
    from dockline.warehouses.formats.dsfx import DsfxFormat

    classes = {DsfxFormat.name: DsfxFormat}
    try:
        return classes[name]
    except KeyError:
        raise KeyError(f"unknown warehouse file format {name!r}") from None
