"""A faithful BigCommerce stand-in (V2 Orders, V3 Catalog and Inventory) for the demo and the tests."""
from dockline.sandbox.bigcommerce.app import Faults, RateLimiter
from dockline.sandbox.bigcommerce.server import BigCommerceSandbox
from dockline.sandbox.bigcommerce.store import ORDER_STATUSES, BigCommerceStore, Stats

__all__ = ["ORDER_STATUSES", "BigCommerceSandbox", "BigCommerceStore", "Faults", "RateLimiter", "Stats"]
