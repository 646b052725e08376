"""Amazon (SP-API): store connector (registers itself with dockline.platforms.base)."""
from dockline.platforms.amazon.connector import AmazonConnector

__all__ = ["AmazonConnector"]
