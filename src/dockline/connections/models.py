"""Stores, warehouses, and the connections between them with their channel schedules."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings as django_settings
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
        from dockline.warehouses.transports.sftp import SftpTransport

        if isinstance(transport, SftpTransport):  # runs trust only a key a person has seen
            transport.require_pinned_host_key = True
            transport.on_host_key_checked = self.note_host_key
        return transport

    def file_format_handler(self):
        from dockline.warehouses.formats import format_class

        cls = format_class(self.file_format)
        if self.file_format == "x12":
            from dockline.warehouses.models import DatabaseControlNumbers

            return cls(self.settings, control_numbers=DatabaseControlNumbers(self))
        return cls(self.settings)

    # -- trust: the SFTP host key and the FTPS certificate (see transports/sftp.py, ftps.py) ----------

    @property
    def host_key_fingerprint(self) -> str:
        """The pinned SFTP host key as the user checks it, e.g. "SHA256:nThb... (ssh-ed25519)"; '' if none."""
        return _key_fingerprint((self.settings or {}).get("host_key") or "")

    @property
    def offered_host_key_fingerprint(self) -> str:
        """The key the server presented instead of the pinned one (or with none pinned), waiting for a person."""
        return _key_fingerprint((self.settings or {}).get("offered_host_key") or "")

    def note_host_key(self, key_line: str, trusted: bool) -> None:
        """What a run's host key check found: a refused key waits for a person; the pinned key again drops it."""
        if not trusted:
            self.record_offered_host_key(key_line)
        elif (self.settings or {}).get("offered_host_key"):
            self.drop_offered_host_key()

    def drop_offered_host_key(self) -> None:
        """The server shows the pinned key again: the other key it offered is no longer up for acceptance."""
        with transaction.atomic():
            current = Warehouse.objects.select_for_update().get(pk=self.pk)
            offered = current.settings.get("offered_host_key") or ""
            if not offered:
                return
            current.settings = {k: v for k, v in current.settings.items() if k != "offered_host_key"}
            current.save(update_fields=["settings"])
            WarehouseActivity.objects.create(
                warehouse=current, level="warning",
                message=f"The SFTP server presented the pinned host key again; the other key it had offered "
                        f"({_key_fingerprint(offered)}) is no longer waiting to be accepted.")
        self.settings = current.settings

    def record_offered_host_key(self, key_line: str) -> None:
        """Keep the host key a refused run met, for an administrator to compare and accept; never pins it."""
        with transaction.atomic():
            current = Warehouse.objects.select_for_update().get(pk=self.pk)
            if current.settings.get("offered_host_key") == key_line:
                return
            current.settings = {**current.settings, "offered_host_key": key_line}
            current.save(update_fields=["settings"])
            pinned = _key_fingerprint(current.settings.get("host_key") or "")
            WarehouseActivity.objects.create(
                warehouse=current, level="warning",
                message=f"The SFTP server presented the host key {_key_fingerprint(key_line)}"
                        f"{f' instead of the pinned {pinned}' if pinned else ' and no key is pinned'}. "
                        "Runs stop until an administrator accepts it.")
        self.settings = current.settings

    def accept_offered_host_key(self, fingerprint_seen: str, user) -> str:
        """Pin the offered key the administrator saw (by its fingerprint), and log who did it; the new fingerprint.

        Raises ValueError when there is no offered key or it is not the one seen (the server changed it again).
        """
        with transaction.atomic():
            current = Warehouse.objects.select_for_update().get(pk=self.pk)
            offered = current.settings.get("offered_host_key") or ""
            if not offered:
                raise ValueError("There is no new host key waiting to be accepted.")
            shown = _key_fingerprint(offered)
            if shown != fingerprint_seen:
                raise ValueError(f"The server's offered key is now {shown}, not the one you saw: check it again.")
            previous = _key_fingerprint(current.settings.get("host_key") or "")
            settings = {k: v for k, v in current.settings.items() if k != "offered_host_key"}
            current.settings = {**settings, "host_key": offered}
            current.save(update_fields=["settings"])
            WarehouseActivity.log(current, user, f"Accepted the SFTP host key {shown}"
                                                 f"{f', replacing {previous}' if previous else ''}.")
        self.settings = current.settings
        return shown

    def set_tls_trust(self, trust: dict, user) -> None:
        """Save how the FTPS certificate is checked (tls_mode, tls_certificate, tls_pin) and log who changed it."""
        from dockline.warehouses.transports.ftps import TlsMode, tls_mode

        with transaction.atomic():
            current = Warehouse.objects.select_for_update().get(pk=self.pk)
            settings = {k: v for k, v in current.settings.items()
                        if k not in ("tls_mode", "tls_certificate", "tls_pin", "verify_tls")}
            current.settings = {**settings, **{k: v for k, v in trust.items() if v}}
            current.save(update_fields=["settings"])
            mode = tls_mode(current.settings)
            detail = f" {current.settings['tls_pin']}" if mode is TlsMode.PIN else ""
            WarehouseActivity.log(current, user, f"Set the FTPS certificate check: {mode.state}{detail}.",
                                  level="warning" if mode is TlsMode.OFF else "info")
        self.settings = current.settings

    @property
    def folders(self):
        from dockline.warehouses.transports.base import Folders

        return Folders.from_settings(self.settings)


def _key_fingerprint(line: str) -> str:
    from dockline.warehouses.transports.sftp import fingerprint_label

    if not line:
        return ""
    try:
        return fingerprint_label(line)
    except ValueError:
        return f"unreadable key ({line[:20]}...)"


class WarehouseActivity(models.Model):
    """One entry of a warehouse's story, such as a host key accepted: who (a user, or None for the system), when."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    actor = models.CharField(max_length=150, default="system")  # the user's name as it was then
    level = models.CharField(max_length=8, default="info")  # info | warning
    message = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.message}"

    @classmethod
    def log(cls, warehouse: Warehouse, user, message: str, *, level: str = "info") -> WarehouseActivity:
        return cls.objects.create(warehouse=warehouse, user=user, actor=user.get_username(), message=message,
                                  level=level)


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
