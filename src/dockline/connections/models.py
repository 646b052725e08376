"""Stores, and the connections between a store and a warehouse with their channel schedules."""
from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.core.crypto import EncryptedJSONField
from dockline.warehouses.models import Warehouse


class Store(models.Model):
    """A merchant's shop on an e-commerce platform."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="stores")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="stores")
    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=40)
    credentials = EncryptedJSONField(default=dict)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def connector(self):
        from dockline.platforms.base import connector_class

        connector = connector_class(self.platform)(dict(self.credentials), dict(self.settings))
        connector.save_credentials = self.save_credentials
        connector.load_credentials = lambda: Store.objects.get(pk=self.pk).credentials
        return connector

    def save_credentials(self, credentials: dict) -> None:
        self.credentials = credentials
        self.save(update_fields=["credentials"])


class InventoryMode(models.TextChoices):
    SMART = "smart", "Smart sync (only changed quantities)"
    FULL = "full", "Full sync (every quantity, every run)"


class Connection(models.Model):
    """Store <-> Merchant <-> Warehouse. Created disabled; nothing runs until enabled."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(max_length=200)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="connections")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="connections")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="connections")
    enabled = models.BooleanField(default=False)
    inventory_mode = models.CharField(max_length=8, choices=InventoryMode.choices, default=InventoryMode.SMART)
    # The edit window: new orders wait this long before they go to the warehouse (0: they go at once).
    hold_minutes = models.PositiveIntegerField(default=0)
    # Orders open at the warehouse this long without shipping become Abandoned.
    abandon_after_days = models.PositiveIntegerField(default=45)
    # Set when that side's credentials stopped working; cleared only by a successful call to that side.
    store_auth_error = models.TextField(blank=True)
    warehouse_auth_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def auth_error(self, side: Side) -> str:
        """What stopped working on that side, '' while it works."""
        return getattr(self, AUTH_ERROR_FIELDS[side])

    @property
    def has_auth_error(self) -> bool:
        return bool(self.store_auth_error or self.warehouse_auth_error)

    def save(self, *args, **kwargs):
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating:
            Channel.create_defaults(self)


class Side(models.TextChoices):
    """The two ends of a connection a call goes to."""

    STORE = "store", "Store"
    WAREHOUSE = "warehouse", "Warehouse"


AUTH_ERROR_FIELDS = {Side.STORE: "store_auth_error", Side.WAREHOUSE: "warehouse_auth_error"}


class ChannelKind(models.TextChoices):
    ORDERS = "orders", "Orders"
    SHIPMENTS = "shipments", "Shipments"
    INVENTORY = "inventory", "Inventory"


DEFAULT_INTERVALS = {
    ChannelKind.ORDERS: timedelta(minutes=15),
    ChannelKind.SHIPMENTS: timedelta(hours=4),
    ChannelKind.INVENTORY: timedelta(minutes=60),
}


class Channel(models.Model):
    """One scheduled job of a connection: its switch, its interval, its lease and its cursor."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    enabled = models.BooleanField(default=True)
    interval = models.DurationField()
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "kind"], name="uniq_channel_kind")]
        indexes = [models.Index(fields=["enabled", "next_run_at"], name="channel_due")]

    def __str__(self) -> str:
        return f"{self.connection} / {self.kind}"

    @classmethod
    def create_defaults(cls, connection: Connection) -> None:
        cls.objects.bulk_create(
            [cls(connection=connection, kind=kind, interval=interval) for kind, interval in DEFAULT_INTERVALS.items()]
        )
