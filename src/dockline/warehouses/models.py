"""Every file sent to or received from a warehouse.

The content is kept for audit and resending, zlib-compressed (`compressed`);
read it as `record.data`. Rows from before compression have `compressed`
false and their content as it was.
"""
from __future__ import annotations

import hashlib
import re
import zlib

from django.db import models, transaction
from django.db.models import F

from dockline.connections.models import Warehouse


class Direction(models.TextChoices):
    OUT = "out", "Sent"
    IN = "in", "Received"


class ExchangeState(models.TextChoices):
    PENDING = "pending", "Pending"  # recorded, not yet confirmed on the server
    SENT = "sent", "Sent"
    PROCESSED = "processed", "Processed"
    DUPLICATE = "duplicate", "Duplicate (ignored)"
    ERROR = "error", "Error"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the warehouse"  # a 997 accepted it
    REJECTED = "rejected", "Rejected by the warehouse"  # a 997 rejected it; `error` says why


class ExchangeRecord(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="exchanges")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=20)  # orders | shipments | inventory
    filename = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64, db_index=True)  # sha256 hex
    size = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=ExchangeState.choices, default=ExchangeState.PENDING)
    business_keys = models.JSONField(default=list, blank=True)  # order numbers / shipment ids / SKUs
    content = models.BinaryField()  # as stored: zlib-compressed when `compressed`; read `data`
    compressed = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    # X12 only: the GS06 group control number of a file we sent, to match the 997 that answers it
    group_control = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    def save(self, *args, **kwargs):
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
