"""1ShoppingCart: store connector (registers itself with dockline.platforms.base)."""
from dockline.platforms.oneshoppingcart.connector import OneShoppingCartConnector

__all__ = ["OneShoppingCartConnector"]
