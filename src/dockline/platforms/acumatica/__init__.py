"""Acumatica ERP: store connector (registers itself with dockline.platforms.base)."""
from dockline.platforms.acumatica.connector import AcumaticaConnector

__all__ = ["AcumaticaConnector"]
