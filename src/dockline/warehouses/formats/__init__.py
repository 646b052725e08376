"""Warehouse file formats, by name."""
from __future__ import annotations

from dockline.warehouses.formats.base import FileFormat


def format_class(name: str) -> type[FileFormat]:
    from dockline.warehouses.formats.dsfx import DsfxFormat
    from dockline.warehouses.formats.jsonfmt import JsonFormat
    from dockline.warehouses.formats.x12 import X12Format

    classes = {cls.name: cls for cls in (DsfxFormat, X12Format, JsonFormat)}
    try:
        return classes[name]
    except KeyError:
        raise KeyError(f"unknown warehouse file format {name!r}") from None
