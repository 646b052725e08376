"""Warehouses (a 3PL's file drop), their activity, and every file sent to or received from them.

An exchange record's direction, kind and states, with the table of allowed moves, are in
`exchange_status.py` (imported here, so callers keep importing them from this module).

The content is kept for audit and resending, zlib-compressed (`compressed`);
read it as `record.data`. Rows from before compression have `compressed`
false and their content as it was.
"""
from __future__ import annotations

import hashlib
import re
import zlib

from django.conf import settings as django_settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from dockline.accounts.models import Organization
from dockline.core.crypto import EncryptedJSONField
from dockline.warehouses.exchange_status import (
    EXPLANATIONS,
    RETRYABLE,
    Direction,
    ExchangeKind,
    ExchangeState,
    check_start,
    check_transition,
)


class Warehouse(models.Model):
    """A 3PL's file drop: how to reach it (transport) and what it speaks (format)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="warehouses")
    name = models.CharField(max_length=200)
    transport = models.CharField(max_length=20, default="ftp")
    credentials = EncryptedJSONField(default=dict)  # host, port, username, password, ...
    settings = models.JSONField(default=dict, blank=True)  # folders, format settings
    file_format = models.CharField(max_length=20, default="dsfx")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "connections_warehouse"  # the model moved here from connections; its table stayed

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
        db_table = "connections_warehouseactivity"  # moved from connections with Warehouse
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.message}"

    @classmethod
    def log(cls, warehouse: Warehouse, user, message: str, *, level: str = "info") -> WarehouseActivity:
        return cls.objects.create(warehouse=warehouse, user=user, actor=user.get_username(), message=message,
                                  level=level)



class ExchangeRecordQuerySet(models.QuerySet):
    def move(self, direction: Direction, current: ExchangeState, new: ExchangeState) -> int:
        """Move the records of `direction` still in `current` to `new` in one UPDATE; how many moved.

        The move is checked against the transition table; a record another run moved meanwhile
        (no longer in `current`) is left as it is.
        """
        check_transition(direction, current, new)
        return self.filter(direction=direction, state=current).update(state=new, updated_at=timezone.now())


class ExchangeRecord(models.Model):
    """One file sent to or received from a warehouse; its state changes only through `move_to` (or `objects.move`)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="exchanges")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=20, choices=ExchangeKind.choices)
    filename = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64, db_index=True)  # sha256 hex
    size = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=ExchangeState.choices, default=ExchangeState.PENDING)
    business_keys = models.JSONField(default=list, blank=True)  # order numbers / shipment ids / SKUs
    content = models.BinaryField()  # as stored: zlib-compressed when `compressed`; read `data`
    remote_modified = models.DateTimeField(null=True, blank=True)  # a received file's time on the server, if it said
    compressed = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    # X12 only: the GS06 group control number of a file we sent, to match the 997 that answers it
    group_control = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExchangeRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["warehouse", "direction", "checksum"], name="exchange_checksum"),
            models.Index(fields=["warehouse", "direction", "group_control"], name="exchange_group_control"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.filename}"

    @property
    def data(self) -> bytes:
        """The file's bytes as sent or received."""
        raw = bytes(self.content or b"")
        return zlib.decompress(raw) if self.compressed else raw

    @data.setter
    def data(self, value: bytes) -> None:
        self.content = zlib.compress(value, 6)
        self.compressed = True

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[ExchangeState(self.state)]

    @property
    def retryable(self) -> bool:
        """Whether this file may be tried again (see `RETRYABLE` for how)."""
        return ExchangeState(self.state) in RETRYABLE[Direction(self.direction)]

    def move_to(self, state: ExchangeState, *, error: str | None = None, also: tuple[str, ...] = ()) -> None:
        """Change state (checked against the table for the record's direction) and save it.

        `error` replaces the record's error when given; `also` names other fields changed with the move.
        """
        check_transition(self.direction, self.state, state)
        self.state = state
        fields = ["state", "updated_at", *also]
        if error is not None:
            self.error = error
            fields.append("error")
        self.save(update_fields=fields)

    def save(self, *args, **kwargs):
        if self._state.adding:
            check_start(self.direction, self.state)
        if not self.compressed and self.content:
            self.data = bytes(self.content)  # given as `content=`: store it compressed
        if self.group_control is None and self.direction == Direction.OUT:
            self.group_control = group_control_of(self.data)
        super().save(*args, **kwargs)

    @staticmethod
    def checksum_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


def group_control_of(content: bytes) -> int | None:
    """GS06 of an X12 file (element separator from ISA position 3); None for other formats."""
    if not content.startswith(b"ISA") or len(content) < 4:
        return None
    sep = re.escape(content[3:4].decode("latin-1"))
    match = re.search(rb"(?:^|[^A-Za-z0-9])GS" + sep.encode("latin-1") + rb"(?:[^" + sep.encode("latin-1")
                      + rb"]*" + sep.encode("latin-1") + rb"){5}([0-9]{1,9})", content)
    return int(match.group(1)) if match else None


class ControlNumberKind(models.TextChoices):
    INTERCHANGE = "interchange", "Interchange (ISA13)"
    GROUP = "group", "Functional group (GS06)"
    SET = "set", "Transaction set (ST02)"


class ControlNumber(models.Model):
    """The last X12 control number of each kind used with a warehouse: numbers only go up."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="control_numbers")
    kind = models.CharField(max_length=12, choices=ControlNumberKind.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["warehouse", "kind"], name="uniq_control_number_kind")]

    def __str__(self) -> str:
        return f"{self.warehouse} {self.kind} {self.last}"


class DatabaseControlNumbers:
    """X12 control numbers for one warehouse, from the database: never handed out twice.

    Each `next()` commits on its own (a conditional ``UPDATE ... SET last = last + 1``
    under a row lock), so a number is burnt even if the file using it is never sent:
    gaps are allowed by X12, reuse is not.
    """

    KINDS = ("interchange", "group", "set")
    LIMIT = 999_999_999  # ISA13 has nine digits; GS06 and ST02 allow as many

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse_id = warehouse.pk

    def next(self, kind: str) -> int:
        if kind not in self.KINDS:
            raise ValueError(f"unknown control number kind {kind!r}")
        with transaction.atomic():
            ControlNumber.objects.get_or_create(warehouse_id=self.warehouse_id, kind=kind)
            row = ControlNumber.objects.select_for_update().get(warehouse_id=self.warehouse_id, kind=kind)
            if row.last >= self.LIMIT:
                raise ValueError(f"the {kind} control numbers for this warehouse are used up ({row.last})")
            updated = ControlNumber.objects.filter(pk=row.pk, last=row.last).update(last=F("last") + 1)
            if not updated:  # a database without row locks let another writer in: try again
                return self.next(kind)
            return row.last + 1
