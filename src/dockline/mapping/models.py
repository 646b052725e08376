"""Listings (store SKU -> warehouse SKU, bundles) and shipping rules, per connection."""
from __future__ import annotations

from django.db import models

from dockline.connections.models import BufferUnit, Connection


class Listing(models.Model):
    """A store SKU and what the warehouse picks for one unit of it."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="listings")
    store_sku = models.CharField(max_length=100)
    # Its own stock buffer, in place of the connection's (None: the connection's).
    stock_buffer = models.PositiveIntegerField(null=True, blank=True)
    stock_buffer_unit = models.CharField(max_length=8, choices=BufferUnit.choices, default=BufferUnit.UNITS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "store_sku"], name="uniq_listing_sku")]
        ordering = ["store_sku"]

    def __str__(self) -> str:
        return self.store_sku

    @property
    def is_bundle(self) -> bool:
        comps = list(self.components.all())
        return len(comps) > 1 or any(c.quantity != 1 for c in comps)


class ListingComponent(models.Model):
    """One warehouse SKU picked for a listing: a plain listing has one with quantity 1."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="components")
    warehouse_sku = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "warehouse_sku"], name="uniq_listing_component"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="component_quantity_positive"),
        ]


class ShippingRule(models.Model):
    """The customer's shipping method text -> the warehouse's carrier and service codes."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="shipping_rules")
    store_method = models.CharField(max_length=200, help_text="As the store shows it; matched ignoring case.")
    carrier = models.CharField(max_length=40)
    service = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "store_method"], name="uniq_shipping_rule")]
        ordering = ["store_method"]

    def __str__(self) -> str:
        return f"{self.store_method} -> {self.carrier} {self.service}".strip()
