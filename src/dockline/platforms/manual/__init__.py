"""Manual orders: a store with no platform behind it (registers itself with dockline.platforms.base)."""
from dockline.platforms.manual.connector import ManualConnector

__all__ = ["ManualConnector"]
