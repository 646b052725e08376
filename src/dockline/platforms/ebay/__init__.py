"""eBay: store connector on the Sell Fulfillment and Inventory APIs (registers itself with dockline.platforms.base)."""
from dockline.platforms.ebay.connector import EbayConnector

__all__ = ["EbayConnector"]
