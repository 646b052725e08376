"""Shipments reported by warehouses, and their trip back to the store."""
from __future__ import annotations

from django.db import models

from dockline.orders.models import Order, OrderLine
from dockline.warehouses.models import Warehouse


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="shipments")
    warehouse_shipment_id = models.CharField(max_length=120)
    destination_ref = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField()
    carrier = models.CharField(max_length=60, blank=True)
    service = models.CharField(max_length=60, blank=True)
    exchange = models.ForeignKey(
        "warehouses.ExchangeRecord", on_delete=models.SET_NULL, null=True, related_name="shipments"
    )
    store_shipment_id = models.CharField(max_length=100, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    post_attempts = models.PositiveIntegerField(default=0)
    post_error = models.TextField(blank=True)
    post_held = models.BooleanField(default=False)  # the store refused it: retried only after a person acts
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # A bundle's box is one warehouse shipment recorded for each store order in it.
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "warehouse_shipment_id", "order"],
                                    name="uniq_warehouse_shipment_order")
        ]
        ordering = ["shipped_at", "id"]

    def __str__(self) -> str:
        return self.warehouse_shipment_id

    @property
    def tracking_numbers(self) -> list[str]:
        return [p.tracking_number for p in self.packages.all() if p.tracking_number]


class Package(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="packages")
    tracking_number = models.CharField(max_length=100, blank=True)
    box_id = models.CharField(max_length=60, blank=True)
    weight = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    length = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    width = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    height = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tracking_number"], name="package_tracking")]  # order search


class ShipmentLine(models.Model):
    """Warehouse SKU units shipped, allocated to the order line they fulfil."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipped")
    warehouse_sku = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
