"""Orders as imported from stores, their lines, their trips to the warehouse, and their activity."""
from __future__ import annotations

from django.db import models
from django.utils import timezone

from dockline.connections.models import Connection, Store
from dockline.orders.status import EXPLANATIONS, OrderStatus, check_transition
from dockline.warehouses.models import Warehouse


class Order(models.Model):
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="orders")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="orders")
    external_id = models.CharField(max_length=100)
    number = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW, db_index=True)
    store_status = models.CharField(max_length=60, blank=True)
    placed_at = models.DateTimeField()
    store_modified_at = models.DateTimeField()
    customer_email = models.CharField(max_length=254, blank=True)
    notes = models.TextField(blank=True)
    destinations = models.JSONField(default=list)  # [{"ref", "address": {...}, "shipping_method"}]
    raw = models.JSONField(default=dict)
    error = models.TextField(blank=True)  # what to fix, while in Error / Delayed
    attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "external_id"], name="uniq_store_order")]
        indexes = [models.Index(fields=["connection", "status"], name="order_conn_status")]
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[OrderStatus(self.status)]

    def move_to(self, status: OrderStatus, message: str, *, level: str = "info", error: str = "") -> None:
        """Change status (checked against the transition table), save, and log it."""
        check_transition(self.status, status)
        self.status = status
        self.error = error
        self.save(update_fields=["status", "error", "attempts", "retry_at", "updated_at"])
        self.log(message, level=level)

    def log(self, message: str, *, level: str = "info") -> None:
        Activity.objects.create(order=self, message=message, level=level)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(max_length=100)
    sku = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    destination_ref = models.CharField(max_length=100, blank=True)
    # Filled when mapped: [{"sku": warehouse SKU, "quantity": per unit}].
    components = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]


class Activity(models.Model):
    """One sentence of an order's story, written for the merchant."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=8, default="info")  # info | warning | error
    message = models.TextField()

    class Meta:
        ordering = ["at", "id"]


class Dispatch(models.Model):
    """One destination of an order sent to the warehouse under a warehouse order number."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="dispatches")
    destination_ref = models.CharField(max_length=100, blank=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="dispatches")
    warehouse_order_number = models.CharField(max_length=120)
    exchange = models.ForeignKey(
        "warehouses.ExchangeRecord", on_delete=models.SET_NULL, null=True, related_name="dispatches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "warehouse_order_number"], name="uniq_dispatch_number")
        ]
