"""Read files from a warehouse's outbox: each once, recorded, then archived or set aside.

A file is taken only once it has settled: the outbox is listed twice,
`settle_seconds` apart (one wait per run, not per file), and only files whose
size and modification time did not change between the two listings are read.
Names a WMS uses while writing (``*.tmp``, ``*.part``, ``*.filepart``, a leading
``.`` or ``~``, and the warehouse's own ``writing_pattern``) are never read. The
size is checked once more before the file is archived: a file that grew
meanwhile has its effects rolled back and is left for the next run. The
contract a WMS follows is in docs/formats/README.md.

A file over `max_file_mb` goes to the error folder unread. Downloads go to a
spooled temporary file; the content kept for audit is compressed.

For X12 warehouses this is also where functional acknowledgments flow: every
945/846 taken in is answered with a 997 written to the warehouse's inbox, and
the 997s the warehouse writes for our 940s mark those files acknowledged or
rejected.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from dockline.core.activity import Event
from dockline.core.errors import ConnectorError
from dockline.warehouses.formats.base import FileFormat, RowError
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse
from dockline.warehouses.transports.base import RemoteFile, Transport, spool

log = logging.getLogger(__name__)

ACKS = ExchangeKind.ACKS  # 997 files, both ways

# Two listings this far apart must agree on a file's size and time before it is read. FTP servers
# give times to the second, so anything under 2 s could miss a rewrite of the same size; 3 s also
# covers a WMS that flushes its buffer once a second or so. See docs/formats/README.md.
DEFAULT_SETTLE_SECONDS = 3.0
DEFAULT_MAX_FILE_MB = 100
# Names WMSes (and FTP clients such as WinSCP and FileZilla) give files while still writing them.
WRITING_NAMES = re.compile(r"(^[.~])|(\.(tmp|temp|part|filepart|partial|crdownload)$)|(~$)", re.IGNORECASE)


class _FileChanged(Exception):
    """The file changed while it was being handled: its effects are rolled back."""


def settle_seconds(warehouse: Warehouse) -> float:
    return _number(warehouse.settings.get("settle_seconds"), DEFAULT_SETTLE_SECONDS)


def max_file_mb(warehouse: Warehouse) -> float:
    return _number(warehouse.settings.get("max_file_mb"), DEFAULT_MAX_FILE_MB)


def _number(value, default: float) -> float:
    try:
        return max(float(value), 0.0) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def being_written(warehouse: Warehouse, name: str) -> bool:
    """Whether `name` looks like a file the WMS is still writing (never read)."""
    if WRITING_NAMES.search(name):
        return True
    custom = (warehouse.settings.get("writing_pattern") or "").strip()
    return bool(custom) and re.fullmatch(custom, name) is not None


def settled_files(warehouse: Warehouse, transport: Transport, pattern: re.Pattern, *, sleep=time.sleep) -> list[RemoteFile]:
    """Outbox files matching `pattern` whose size and time held still for the settle time.

    Lists once, waits once (only when something matches), lists again; a file
    still changing is left for the next run. Oldest first (`written_order`).
    """
    outbox = warehouse.folders.outbox

    def candidates() -> list[RemoteFile]:
        return [f for f in transport.list(outbox) if pattern.match(f.name) and not being_written(warehouse, f.name)]

    first = sorted(candidates(), key=lambda f: written_order(f.modified, f.name))
    settle = settle_seconds(warehouse)
    if not first or settle <= 0:
        return first
    sleep(settle)
    again = {f.name: f for f in candidates()}
    steady = []
    for f in first:
        now = again.get(f.name)
        if _same(now, f):
            steady.append(now)
        elif now is not None:
            log.info("%s in %s is still being written (%s -> %s bytes); left for the next run",
                     f.name, warehouse, f.size, now.size)
    return steady


def written_order(modified: datetime | None, name: str) -> tuple:
    """A received file's place in the order the warehouse wrote its files: by the server's time (FTP's is to
    the second; files it gives none for first), then by name. Servers list in any order, and two stock
    snapshots as of the same time are applied in the order they were written, in one run or across runs."""
    return (modified is not None, modified or datetime.min.replace(tzinfo=UTC), name)


@dataclass
class Handled:
    """What a file handler made of one file."""

    keys: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    note: str = ""  # said on the record besides the errors, e.g. which SKUs a snapshot set to 0
    ignored: bool = False  # read but without effect (a stock snapshot older than the one applied)


Handler = Callable[[bytes, ExchangeRecord], Handled]


def receive_files(warehouse: Warehouse, transport: Transport, kind: ExchangeKind, pattern: re.Pattern, handler: Handler,
                  fmt: FileFormat | None = None, *, dedupe: bool = True, sleep=time.sleep) -> dict:
    """Process every settled, final-named file in the outbox that matches `pattern`.

    Each file is handled inside one transaction together with its exchange
    record, so a crash leaves either both or neither. A file seen before (same
    checksum, or only shipment ids already recorded from another file) is
    recorded as a duplicate and archived without effect; a file with errors
    goes to the error folder, its good rows taken. A file still being written
    is left alone; one that changed while handled is rolled back and left for
    the next run. A lost connection stops the run (raised, so the run records
    it); the file stays for the next run. With `dedupe` off (stock snapshots:
    state, ordered by their time instead), a file with the same bytes as an
    earlier one is handled again.
    """
    fmt = fmt if fmt is not None else warehouse.file_format_handler()
    acks = kind != ACKS and fmt.acknowledges
    folders = warehouse.folders
    counts = {"files": 0, "duplicates": 0, "errors": 0, "unreadable": 0, "unsettled": 0}
    limit_mb = max_file_mb(warehouse)
    for remote in settled_files(warehouse, transport, pattern, sleep=sleep):
        path = f"{folders.outbox.rstrip('/')}/{remote.name}"
        if remote.size > limit_mb * 1024 * 1024:
            _set_aside_too_big(warehouse, transport, kind, remote, path, limit_mb)
            counts["errors"] += 1
            continue
        try:
            with spool(transport, path) as sink:
                data = sink.read()
        except ConnectorError as exc:
            if exc.retryable:
                raise  # the connection is gone: the next run reads this file whole
            log.warning("could not read %s from %s: %s", remote.name, warehouse, exc.message)
            counts["unreadable"] += 1
            continue
        try:
            record = _record(warehouse, kind, remote, data, handler, fmt if acks else None, dedupe,
                             partial(_unchanged, transport, path, remote, len(data)))
        except _FileChanged as changed:
            if isinstance(changed.__cause__, ConnectorError) and changed.__cause__.retryable:
                raise changed.__cause__ from changed  # rolled back; the next run reads the file again
            log.info("%s in %s changed while it was read; rolled back, left for the next run", remote.name, warehouse)
            counts["unsettled"] += 1
            continue
        counts["files"] += 1
        if record.state == ExchangeState.DUPLICATE:
            counts["duplicates"] += 1
        elif record.state == ExchangeState.ERROR:
            counts["errors"] += 1
        destination = folders.error if _set_aside(record) else folders.archive
        try:
            transport.move(path, destination)
        except ConnectorError as exc:
            if exc.retryable:
                raise  # recorded already: the next run finds the same checksum and only moves it
            log.warning("could not move %s to %s: %s", remote.name, destination, exc.message)
    if acks:
        counts["acks_sent"] = send_pending_acks(warehouse, transport)
        counts.update(receive_acks(warehouse, transport, fmt))
    return counts


def _set_aside(record: ExchangeRecord) -> bool:
    """An error file goes to the error folder, and so does the same content again (its move had failed)."""
    return record.state == ExchangeState.ERROR or record.state == ExchangeState.DUPLICATE and ExchangeRecord.objects.filter(
        warehouse_id=record.warehouse_id, direction=Direction.IN, checksum=record.checksum, state=ExchangeState.ERROR,
    ).exists()


def _unchanged(transport: Transport, path: str, remote: RemoteFile, got: int) -> bool:
    """Whether the file read is the file that settled; raises _FileChanged when that cannot be checked."""
    try:
        return got == remote.size and _same(transport.stat(path), remote)
    except ConnectorError as exc:
        raise _FileChanged(path) from exc


def _same(now: RemoteFile | None, before: RemoteFile) -> bool:
    return now is not None and now.size == before.size and now.modified == before.modified


def _set_aside_too_big(warehouse: Warehouse, transport: Transport, kind: ExchangeKind, remote: RemoteFile, path: str,
                       limit_mb: float) -> None:
    """Move a file over the size limit to the error folder unread, with an error record saying why."""
    reason = (f"{remote.name} is {remote.size:,} bytes ({remote.size / 1024 / 1024:.1f} MB), over this "
              f"warehouse's limit of {limit_mb:g} MB; it was moved to the error folder unread. "
              "Ask the warehouse to split it into smaller files, or raise max_file_mb in the warehouse's settings.")
    ExchangeRecord.objects.create(
        warehouse=warehouse, direction=Direction.IN, kind=kind, filename=remote.name, checksum="",
        size=remote.size, content=b"", state=ExchangeState.ERROR, error=reason,
    )
    try:
        transport.move(path, warehouse.folders.error)
    except ConnectorError as exc:
        if exc.retryable:
            raise
        log.warning("could not move %s to %s: %s", remote.name, warehouse.folders.error, exc.message)


def _record(warehouse: Warehouse, kind: ExchangeKind, remote: RemoteFile, data: bytes, handler: Handler,
            fmt: FileFormat | None, dedupe: bool = True, unchanged: Callable[[], bool] = lambda: True) -> ExchangeRecord:
    name = remote.name
    checksum = ExchangeRecord.checksum_of(data)
    try:
        with transaction.atomic():
            seen = dedupe and ExchangeRecord.objects.filter(
                warehouse=warehouse, direction=Direction.IN, checksum=checksum,
                state__in=[ExchangeState.PROCESSED, ExchangeState.ERROR, ExchangeState.DUPLICATE],
            ).order_by("created_at", "id").first()
            record = ExchangeRecord.objects.create(
                warehouse=warehouse, direction=Direction.IN, kind=kind, filename=name, remote_modified=remote.modified,
                checksum=checksum, size=len(data), content=data,
                state=ExchangeState.DUPLICATE if seen else ExchangeState.PENDING,
                error=f"Same content as {seen.filename}, received {seen.created_at:%Y-%m-%d %H:%M} UTC." if seen else "",
            )
            if seen:
                return record
            result = handler(data, record)
            record.business_keys = result.keys
            error = "\n".join([f"{name}, {e}" for e in result.errors] + ([result.note] if result.note else []))
            earlier = None if result.errors else _already_recorded(warehouse, kind, record, result.keys)
            if earlier:
                state = ExchangeState.DUPLICATE
                error = f"Shipment(s) {', '.join(result.keys)} already recorded from {earlier}; ignored."
            elif result.ignored and not result.errors:
                state = ExchangeState.DUPLICATE
            else:
                state = ExchangeState.ERROR if result.errors else ExchangeState.PROCESSED
            record.move_to(state, error=error, also=("business_keys",))
            if fmt is not None:
                _queue_ack(warehouse, fmt, name, data)
            if not unchanged():
                raise _FileChanged(name)
        return record
    except (_FileChanged, OperationalError, InterfaceError):
        raise  # the file changed, or the database went away: rolled back, the file stays for the next run
    except Exception as exc:  # noqa: BLE001 - one file that cannot be processed must not stop the others
        log.exception("could not process %s from %s", name, warehouse)
        return ExchangeRecord.objects.create(
            warehouse=warehouse, direction=Direction.IN, kind=kind, filename=name, checksum=checksum,
            size=len(data), content=data, state=ExchangeState.ERROR,
            error=f"{name}: could not be processed ({type(exc).__name__}: {exc}); nothing from it was recorded.",
        )


def _already_recorded(warehouse: Warehouse, kind: ExchangeKind, record: ExchangeRecord, keys: list[str]) -> str:
    """The file an earlier copy of these shipments came from, when every one was recorded before; else ''."""
    if kind != ExchangeKind.SHIPMENTS or not keys:
        return ""
    from dockline.shipments.models import Shipment

    wanted = sorted(set(keys))
    files: set[str] = set()
    for start in range(0, len(wanted), 500):  # a big file has more ids than a query takes at once
        chunk = wanted[start:start + 500]
        rows = list(Shipment.objects.filter(warehouse=warehouse, warehouse_shipment_id__in=chunk)
                    .exclude(exchange=record).values_list("warehouse_shipment_id", "exchange__filename"))
        if len({sid for sid, _name in rows}) < len(chunk):
            return ""
        files.update(name for _sid, name in rows if name)
    return ", ".join(sorted(files)) or "an earlier file"


# -- X12 functional acknowledgments ----------------------------------------------------------------


def _queue_ack(warehouse: Warehouse, fmt: FileFormat, name: str, data: bytes) -> None:
    """Record the 997 answering a received file, to be written to the inbox (pending until it is)."""
    try:
        content = fmt.render_997(data)
    except ValueError as exc:  # no readable interchange: nothing to acknowledge
        log.info("no 997 for %s: %s", name, exc)
        return
    envelope = fmt.last_envelope
    ExchangeRecord.objects.create(
        warehouse=warehouse, direction=Direction.OUT, kind=ACKS,
        filename=fmt.ack_filename(_isa_control(fmt, data) or envelope.interchange, timezone.now()),
        checksum=ExchangeRecord.checksum_of(content), size=len(content), content=content,
        business_keys=[name],
    )


def _isa_control(fmt: FileFormat, data: bytes) -> str:
    parsed = fmt.envelope(data)
    return parsed.items[0].control if parsed.items else ""


def send_pending_acks(warehouse: Warehouse, transport: Transport) -> int:
    """Write every 997 not yet on the server to the inbox; returns how many went."""
    sent = 0
    pending = ExchangeRecord.objects.filter(
        warehouse=warehouse, direction=Direction.OUT, kind=ACKS, state=ExchangeState.PENDING
    ).order_by("id")
    for record in pending:
        transport.write_atomic(warehouse.folders.inbox, record.filename, record.data)
        ExchangeRecord.objects.filter(pk=record.pk).move(Direction.OUT, ExchangeState.PENDING, ExchangeState.SENT)
        sent += 1
    return sent


def receive_acks(warehouse: Warehouse, transport: Transport, fmt: FileFormat) -> dict:
    """Read the warehouse's 997s: each marks the file it answers acknowledged or rejected."""
    outcome = {"acknowledged": 0, "rejected": 0}

    def handle(data: bytes, record: ExchangeRecord) -> Handled:
        parsed = fmt.parse_997(data)
        handled = Handled(errors=list(parsed.errors))
        for ack in parsed.items:
            problem = apply_ack(warehouse, ack, record.filename)
            if problem:
                handled.errors.append(RowError(None, problem))
            else:
                outcome["acknowledged" if ack.accepted else "rejected"] += 1
            handled.keys.append(f"{ack.functional_id} {ack.group_control}")
        return handled

    counts = receive_files(warehouse, transport, ACKS, fmt.ack_pattern, handle, fmt)
    return {"ack_files": counts["files"], **outcome}


def apply_ack(warehouse: Warehouse, ack, filename: str) -> str:
    """Mark the sent file whose group control number `ack` answers; returns a problem or ''."""
    sent = ExchangeRecord.objects.filter(
        warehouse=warehouse, direction=Direction.OUT, group_control=ack.group_control,
    ).exclude(kind=ACKS).first()
    if sent is None:
        return f"the 997 answers group {ack.functional_id} {ack.group_control}, which Dockline never sent"
    if ack.accepted:
        sent.move_to(ExchangeState.ACKNOWLEDGED, error="")
        return ""
    sent.move_to(ExchangeState.REJECTED,
                 error=f"The warehouse rejected this file (997 in {filename}): {ack.describe()}.")
    for dispatch in sent.dispatches.select_related("order"):
        dispatch.order.log(f"The warehouse rejected file {sent.filename}: {ack.describe()}.", level="error",
                           event=Event.REJECTED)
    return ""
