"""UltraCart: store connector (registers itself with dockline.platforms.base)."""
from dockline.platforms.ultracart.connector import UltraCartConnector

__all__ = ["UltraCartConnector"]
