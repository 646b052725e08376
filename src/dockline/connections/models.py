"""Stores, warehouses, and the connections between them with their channel schedules."""
from __future__ import annotations

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.core.crypto import EncryptedJSONField


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


class Warehouse(models.Model):
    """A 3PL's file drop: how to reach it (transport) and what it speaks (format)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="warehouses")
    name = models.CharField(max_length=200)
    transport = models.CharField(max_length=20, default="ftp")
    credentials = EncryptedJSONField(default=dict)  # host, port, username, password, ...
    settings = models.JSONField(default=dict, blank=True)  # folders, format settings
    file_format = models.CharField(max_length=20, default="dsfx")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def open_transport(self):
        from dockline.warehouses.transports import transport_class
        from dockline.warehouses.transports.base import Folders, TransportConfig

        creds = dict(self.credentials)
        config = TransportConfig(
            host=creds.pop("host"),
            port=int(creds.pop("port", 0) or 0),
            username=creds.pop("username", ""),
            password=creds.pop("password", ""),
            folders=Folders.from_settings(self.settings),
            extra={**creds, **self.settings},
        )
        transport = transport_class(self.transport)(config)
        if hasattr(transport, "on_new_host_key"):
            transport.on_new_host_key = self.record_host_key
        return transport

    def file_format_handler(self):
        from dockline.warehouses.formats import format_class

        cls = format_class(self.file_format)
        if self.file_format == "x12":
            from dockline.warehouses.models import DatabaseControlNumbers

            return cls(self.settings, control_numbers=DatabaseControlNumbers(self))
        return cls(self.settings)

    def record_host_key(self, key_line: str) -> None:
        """Remember the SFTP server's host key seen on first connect (trust on first use)."""
        if self.pk is None:  # not saved yet (a wizard testing the connection): kept with the object
            self.settings = {**self.settings, "host_key": key_line}
            return
        with transaction.atomic():
            current = Warehouse.objects.select_for_update().get(pk=self.pk)
            if current.settings.get("host_key"):
                return  # recorded meanwhile by another run: that one counts
            current.settings = {**current.settings, "host_key": key_line}
            current.save(update_fields=["settings"])
        self.settings = {**self.settings, "host_key": key_line}

    @property
    def host_key_fingerprint(self) -> str:
        """The recorded SFTP host key as the user checks it, e.g. "SHA256:nThb... (ssh-ed25519)"; '' if none."""
        from dockline.warehouses.transports.sftp import fingerprint

        line = (self.settings or {}).get("host_key") or ""
        if not line:
            return ""
        try:
            return f"{fingerprint(line)} ({line.split()[0]})"
        except ValueError:
            return f"unreadable key ({line[:20]}...)"

    @property
    def folders(self):
        from dockline.warehouses.transports.base import Folders

        return Folders.from_settings(self.settings)


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
