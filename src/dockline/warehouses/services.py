"""Read files from a warehouse's outbox: each once, recorded, then archived or set aside."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from dockline.connections.models import Warehouse
from dockline.core.errors import ConnectorError
from dockline.warehouses.formats.base import RowError
from dockline.warehouses.models import Direction, ExchangeRecord, ExchangeState

log = logging.getLogger(__name__)


@dataclass
class Handled:
    """What a file handler made of one file."""

    keys: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


Handler = Callable[[bytes, ExchangeRecord], Handled]


def receive_files(warehouse: Warehouse, transport, kind: str, pattern: re.Pattern, handler: Handler) -> dict:
    """Process every final-named file in the outbox that matches `pattern`.

    Each file is handled inside one transaction together with its exchange
    record, so a crash leaves either both or neither; a file seen before (same
    checksum) is recorded as a duplicate and archived without effect.
    """
    folders = warehouse.folders
    counts = {"files": 0, "duplicates": 0, "errors": 0}
    for remote in transport.list(folders.outbox):
        if not pattern.match(remote.name):
            continue
        path = f"{folders.outbox.rstrip('/')}/{remote.name}"
        try:
            data = transport.read(path)
        except ConnectorError as exc:
            log.warning("could not read %s from %s: %s", remote.name, warehouse, exc.message)
            continue
        record = _record(warehouse, kind, remote.name, data, handler)
        counts["files"] += 1
        if record.state == ExchangeState.DUPLICATE:
            counts["duplicates"] += 1
        elif record.state == ExchangeState.ERROR:
            counts["errors"] += 1
        destination = folders.error if record.state == ExchangeState.ERROR else folders.archive
        transport.move(path, destination)
    return counts


def _record(warehouse: Warehouse, kind: str, name: str, data: bytes, handler: Handler) -> ExchangeRecord:
    checksum = ExchangeRecord.checksum_of(data)
    with transaction.atomic():
        seen = ExchangeRecord.objects.filter(
            warehouse=warehouse, direction=Direction.IN, checksum=checksum,
            state__in=[ExchangeState.PROCESSED, ExchangeState.ERROR],
        ).first()
        record = ExchangeRecord.objects.create(
            warehouse=warehouse, direction=Direction.IN, kind=kind, filename=name,
            checksum=checksum, size=len(data), content=data,
            state=ExchangeState.DUPLICATE if seen else ExchangeState.PENDING,
            error=f"Same content as {seen.filename}, received {seen.created_at:%Y-%m-%d %H:%M} UTC." if seen else "",
        )
        if seen:
            return record
        result = handler(data, record)
        record.business_keys = result.keys
        record.state = ExchangeState.ERROR if result.errors else ExchangeState.PROCESSED
        record.error = "\n".join(str(e) for e in result.errors)
        record.save(update_fields=["business_keys", "state", "error", "updated_at"])
    return record
