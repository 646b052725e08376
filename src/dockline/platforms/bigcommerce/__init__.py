"""BigCommerce: store connector (registers itself with dockline.platforms.base)."""
from dockline.platforms.bigcommerce.connector import BigCommerceConnector

__all__ = ["BigCommerceConnector"]
