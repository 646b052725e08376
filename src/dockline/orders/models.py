"""Orders as imported from stores, their lines, their trips to the warehouse, and their activity."""
from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from dockline.connections.models import Connection, Store
from dockline.core.activity import SYSTEM, SYSTEM_LABEL, Actor, ActorKind, Event
from dockline.orders.activity import EVENT_OF_STATUS, ActivityQuerySet
from dockline.orders.cancel_state import CancelOrigin, CancelState
from dockline.orders.cancel_state import check_transition as check_cancel_transition
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
    tags = models.JSONField(default=list, blank=True)  # words rules add (and test), e.g. "vip", "po-box"
    priority = models.IntegerField(default=0)  # higher goes to the warehouse first
    # Set on an order a bundle absorbed: it ships in that order's warehouse order (status Bundled).
    bundled_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="absorbed")
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
    # Put in by a rule (an insert, a gift): sent to the warehouse, never posted back to the store.
    added = models.BooleanField(default=False)

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
        # A bundle's warehouse order carries several store orders: one dispatch each, under the same number.
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "warehouse_order_number", "order"],
                                    name="uniq_dispatch_number_order")
        ]
        ordering = ["id"]


class OrderPart(models.Model):
    """What one warehouse ships of a routed or split order; an order without parts goes whole to its
    connection's first warehouse. The part keeps the order's number there (one part per warehouse)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="parts")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="order_parts")
    exchange = models.ForeignKey(
        "warehouses.ExchangeRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)  # when its file was confirmed in the warehouse's inbox
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "warehouse"], name="uniq_order_part")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order} at {self.warehouse}"


class OrderPartLine(models.Model):
    """Store units of one order line that a part's warehouse ships."""

    part = models.ForeignKey(OrderPart, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="parts")
    quantity = models.PositiveIntegerField()


class Cancellation(models.Model):
    """An order's cancellation: where it came from, where it is, what the warehouse said, whether the store knows.

    `answers` holds each warehouse's word per warehouse order number, keyed "<warehouse id>:<number>"
    ({"3:1001-1": "cancelled"}: a routed order has the same number at each of its warehouses); `files`
    are the cancellation files sent, one per warehouse asked. The state changes only through `move_to`,
    checked against `orders/cancel_state.py`.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="cancellation")
    origin = models.CharField(max_length=10, choices=CancelOrigin.choices)
    state = models.CharField(max_length=10, choices=CancelState.choices, default=CancelState.REQUESTED)
    reason = models.CharField(max_length=300, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    files = models.ManyToManyField("warehouses.ExchangeRecord", blank=True, related_name="+")
    store_told = models.BooleanField(default=False)  # the store shows it cancelled, or the merchant was asked to
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cancellation of #{self.order.number}: {self.get_state_display()}"

    def move_to(self, state: CancelState) -> None:
        check_cancel_transition(self.state, state)
        self.state = state
        self.save(update_fields=["state", "answers", "updated_at"])
