"""Warehouse side: transports move files, formats read and write them."""
