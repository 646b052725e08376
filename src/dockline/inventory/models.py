"""Warehouse stock levels, the newest stock snapshot applied, and what was last pushed to each store."""
from __future__ import annotations

from django.db import models

from dockline.connections.models import Connection
from dockline.warehouses.models import ExchangeRecord, Warehouse


class StockLevel(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock")
    sku = models.CharField(max_length=100)
    on_hand = models.IntegerField(default=0)
    available = models.IntegerField(default=0)
    facility = models.CharField(max_length=60, blank=True)
    as_of = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse", "sku"], name="uniq_stock_sku")]
        ordering = ["sku"]


class AppliedSnapshot(models.Model):
    """The newest stock snapshot applied for a warehouse's facility ('' when it reports none).

    Snapshots are state: a newer one replaces the stock whatever its bytes, an
    older one arriving late is ignored, and of two as of the same time the one
    written later wins (`warehouses.services.written_order`).
    """

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="applied_snapshots")
    facility = models.CharField(max_length=60, blank=True)
    as_of = models.DateTimeField()  # the snapshot's own time, or when it arrived if it gave none
    exchange = models.ForeignKey(ExchangeRecord, on_delete=models.SET_NULL, null=True, related_name="+")
    filename = models.CharField(max_length=255)  # kept when the exchange record is purged
    modified = models.DateTimeField(null=True)  # the file's time on the warehouse server; with `filename`, breaks ties
    applied_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse", "facility"], name="uniq_applied_snapshot")]

    def __str__(self) -> str:
        return f"{self.warehouse} {self.facility or '(all)'} as of {self.as_of:%Y-%m-%d %H:%M:%S}"


class PushedStock(models.Model):
    """The quantity last written to a store for one store SKU (or why it was skipped).

    `quantity` is None while the store's quantity is in doubt (a push not confirmed yet), and stays None
    until `doubt_until` while a request that went unanswered may still be applied by the store."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="pushed_stock")
    store_sku = models.CharField(max_length=100)
    quantity = models.IntegerField(null=True)
    pushed_at = models.DateTimeField(null=True)
    skipped_reason = models.TextField(blank=True)
    doubt_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "store_sku"], name="uniq_pushed_sku")]
        ordering = ["store_sku"]
