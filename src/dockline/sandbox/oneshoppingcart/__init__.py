"""A faithful stand-in for the 1ShoppingCart XML API, on loopback."""
from dockline.sandbox.oneshoppingcart.server import OneShoppingCartSandbox

__all__ = ["OneShoppingCartSandbox"]
