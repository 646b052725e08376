"""Orders as imported from stores, their lines, their trips to the warehouse, and their activity."""
from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from dockline.connections.models import Connection, Store
from dockline.core.activity import SYSTEM, SYSTEM_LABEL, Actor, ActorKind, Event
from dockline.orders.activity import EVENT_OF_STATUS, ActivityQuerySet
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
    customer_name = models.CharField(max_length=200, blank=True)  # billing name, else the first ship-to's
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
        # The list pages through (placed_at, id) newest first, whole or by status or store; search
        # looks up the number, the email and the name's start (web/order_list.py).
        indexes = [
            models.Index(fields=["connection", "status"], name="order_conn_status"),
            models.Index(fields=["-placed_at", "-id"], name="order_newest"),
            models.Index(fields=["status", "-placed_at", "-id"], name="order_status_newest"),
            models.Index(fields=["store", "-placed_at", "-id"], name="order_store_newest"),
            models.Index(fields=["store", "status", "-placed_at", "-id"], name="order_store_status_newest"),
            models.Index(fields=["number"], name="order_number"),
            models.Index(Lower("customer_email"), name="order_email_lower"),
            models.Index(Lower("customer_name"), name="order_name_lower"),
        ]
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[OrderStatus(self.status)]

    def move_to(self, status: OrderStatus, message: str, *, level: str = "info", error: str = "",
                actor: Actor = SYSTEM, event: Event | None = None) -> None:
        """Change status (checked against the transition table), save, and log it as done by `actor`.

        The entry's event is the one the new status records (`EVENT_OF_STATUS`) unless `event` names another.
        """
        check_transition(self.status, status)
        self.status = status
        self.error = error
        self.save(update_fields=["status", "error", "attempts", "retry_at", "updated_at"])
        self.log(message, level=level, actor=actor, event=event or EVENT_OF_STATUS[OrderStatus(status)])

    def log(self, message: str, *, level: str = "info", actor: Actor = SYSTEM, event: Event = Event.NOTE) -> None:
        Activity.objects.create(order=self, message=message, level=level, event=event, **Activity.by(actor))


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
        indexes = [models.Index(Lower("sku"), name="orderline_sku_lower")]


class Activity(models.Model):
    """One sentence of an order's story, written for the merchant, with who acted and what happened as data."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=8, default="info")  # info | warning | error
    event = models.CharField(max_length=16, choices=Event.choices, default=Event.NOTE)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    actor = models.CharField(max_length=150, default=SYSTEM_LABEL)  # the name as it was then
    message = models.TextField()

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.message}"

    @staticmethod
    def by(actor: Actor) -> dict:
        """The fields that record `actor`, for `Activity(...)` and `objects.create(...)`."""
        return {"actor_kind": actor.kind, "user": actor.user, "actor": actor.label[:150]}


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
