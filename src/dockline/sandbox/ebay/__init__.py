"""A faithful stand-in for eBay's Sell Fulfillment and Inventory APIs and its OAuth token endpoint, on loopback."""
from dockline.sandbox.ebay.server import EbaySandbox

__all__ = ["EbaySandbox"]
