"""Dockline: order-fulfillment integration hub."""
