"""Stores, and the connections between a store and a warehouse with their channel schedules."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.core.activity import SYSTEM_LABEL, Actor, ActorKind
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


class Routing(models.TextChoices):
    """Where a connection with several warehouses sends each order (a rule may decide otherwise)."""

    FIRST = "first", "Every order to the first warehouse"
    HOLDING = "holding", "To the first warehouse that holds every line, else the first warehouse"
    SPLIT = "split", "Split by availability across the warehouses"


class BufferUnit(models.TextChoices):
    UNITS = "units", "units"
    PERCENT = "percent", "percent"


class Connection(models.Model):
    """Store <-> Merchant <-> Warehouse. Created disabled; nothing runs until enabled."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(max_length=200)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="connections")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="connections")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="connections")
    enabled = models.BooleanField(default=False)
    inventory_mode = models.CharField(max_length=8, choices=InventoryMode.choices, default=InventoryMode.SMART)
    routing = models.CharField(max_length=8, choices=Routing.choices, default=Routing.FIRST)
    # Held back from every quantity pushed to the store (a listing may set its own), and the level below which 0 is pushed.
    stock_buffer = models.PositiveIntegerField(default=0)
    stock_buffer_unit = models.CharField(max_length=8, choices=BufferUnit.choices, default=BufferUnit.UNITS)
    stock_minimum = models.PositiveIntegerField(default=0)
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

    def warehouses(self) -> list[Warehouse]:
        """The warehouses this connection ships from, in order: its first (`warehouse`), then the others."""
        extra = [cw.warehouse for cw in self.other_warehouses.select_related("warehouse")]
        return [self.warehouse, *(w for w in extra if w.pk != self.warehouse_id)]

    def stock_warehouses(self) -> list[Warehouse]:
        """The warehouses whose stock is offered to this connection's store."""
        extra = [cw.warehouse for cw in self.other_warehouses.filter(serves_stock=True).select_related("warehouse")]
        return [self.warehouse, *(w for w in extra if w.pk != self.warehouse_id)]

    def save(self, *args, **kwargs):
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating:
            Channel.create_defaults(self)


class ConnectionWarehouse(models.Model):
    """Another warehouse a connection ships from, after its first one; each keeps its own transport and format."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="other_warehouses")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="other_connections")
    position = models.PositiveIntegerField(default=1)
    serves_stock = models.BooleanField(default=True)  # its stock counts in what is pushed to the store

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "warehouse"], name="uniq_connection_warehouse")]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.connection} / {self.warehouse}"


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


# ---------------------------------------------------------------- credentials: last test, activity, merchant links

class CredentialCheck(models.Model):
    """The last real Test Connection of one side of a connection, with the credentials that side has now.

    Written when the wizard adds the connection (the test run there, if its values are the ones saved), when
    credentials are saved on a credential screen, and when a merchant submits a credential link. The setup
    checklist shows it, so a ✓ for credentials means a test really passed."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="credential_checks")
    side = models.CharField(max_length=10, choices=Side.choices)
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    message = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "side"], name="uniq_credential_check_side")]


class ConnectionActivity(models.Model):
    """One entry of a connection's story (credentials changed, received from the merchant), with who acted as data."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    actor = models.CharField(max_length=150, default=SYSTEM_LABEL)  # the name as it was then
    level = models.CharField(max_length=8, default="info")  # info | warning
    message = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.message}"

    @classmethod
    def log(cls, connection: Connection, actor: Actor, message: str, *, level: str = "info") -> ConnectionActivity:
        return cls.objects.create(connection=connection, actor_kind=actor.kind, user=actor.user,
                                  actor=actor.label[:150], message=message, level=level)


class CredentialLink(models.Model):
    """A one-time link a 3PL sends a merchant to enter the store's credentials; only its token's hash is kept."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="credential_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    tests = models.PositiveIntegerField(default=0)  # Test Connection runs from the link, capped

    class Meta:
        ordering = ["-created_at", "-id"]
