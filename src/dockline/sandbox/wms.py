"""A simulated warehouse (WMS) behind a real file server on loopback.

It behaves like a 3PL's file drop: it takes final order files from /in
(never temp names), moves them to /in/processed, ships each order after
`ship_delay` seconds (sometimes in two parts), writes shipment files and
inventory snapshots into /out atomically, and rejects an order number it has
already received (counted, not shipped again).

It serves its folders over ``transport="ftp"``, ``"ftps"`` (explicit TLS,
data connections must reuse the control connection's TLS session) or
``"sftp"`` (asyncssh, with ``posix-rename@openssh.com``), and speaks any
warehouse format by name (``format="dsfx"`` with ``format_settings={"dsfx_version":
"1"|"2"|"3"}``, ``"x12"``, ``"json"``). In X12 it answers every 940 file with a 997
in /out and reads (and counts) the 997s Dockline writes to /in. It reads cancellation files and
answers each "cancelled" (nothing shipped yet) or "too late" (already shipped), and can cancel an
order on its own (`cancel_at_warehouse`); see `wms_cancel.py`.

    with SimulatedWms({"SKU-1": 10}, transport="sftp", format="x12") as wms:
        settings = wms.transport_settings()   # host, port, username, password, folders
        ...
        wms.wait_for(lambda w: w.shipped_shipments, timeout=5)
"""
from __future__ import annotations

import logging
import os
import random
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dockline.core.types import (
    CancelAnswer,
    Package,
    ShipmentLine,
    StockLevel,
    WarehouseOrder,
    WarehouseShipment,
)
from dockline.sandbox.files import move_unique as _move_unique
from dockline.sandbox.files import write_atomic as _write_atomic
from dockline.sandbox.ftpserver import LoopbackFtpServer, self_signed_certificate
from dockline.sandbox.wms_cancel import CancellationDesk
from dockline.warehouses.formats import format_class

log = logging.getLogger(__name__)

TRANSPORTS = ("ftp", "ftps", "sftp")
# The warehouse's own X12 ids: it sends as WAREHOUSE to DOCKLINE (Dockline's defaults, mirrored).
_X12_SIDE = {"sender_id": "WAREHOUSE", "receiver_id": "DOCKLINE"}


@dataclass
class _Pending:
    due: float
    order: WarehouseOrder
    lines: list[tuple[str, int]]  # what this part ships
    part: int
    may_split: bool = True  # decided at ship time, with `partial_rate`


class SimulatedWms(CancellationDesk):
    def __init__(
        self,
        stock: dict[str, int],
        *,
        format: str = "dsfx",  # noqa: A002 - the name the brief and the settings use
        format_settings: dict | None = None,
        ship_delay: float = 1.0,
        partial_rate: float = 0.2,
        poll_interval: float = 0.2,
        inventory_interval: float = 5.0,
        seed: int = 0,
        root: str | Path | None = None,
        username: str = "wms",
        port: int = 0,
        facility: str = "",
        tls: bool = False,
        transport: str = "ftp",
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
        # An own temp root outlives stop() (tests inspect it), and goes when this object does.
        self._tempdir = tempfile.TemporaryDirectory(prefix="dockline-wms-") if root is None else None
        self.root = Path(root) if root is not None else Path(self._tempdir.name)
        self.format_name = format
        settings = dict(format_settings or {})
        if format == "x12":
            settings = {**_X12_SIDE, **settings}
        self.format = format_class(format)(settings)
        self.ship_delay = float(ship_delay)
        self.partial_rate = float(partial_rate)
        self.poll_interval = float(poll_interval)
        self.inventory_interval = float(inventory_interval)
        self.facility = facility
        self.username = username
        self.password = secrets.token_urlsafe(12)
        self.host = "127.0.0.1"
        self.port = port
        self.transport = "ftps" if tls else transport
        self.tls = self.transport == "ftps"
        self.ca_file: Path | None = None

        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread: threading.Thread | None = None
        self._server = None  # LoopbackFtpServer or SftpServer

        self._stock: dict[str, int] = {str(k): int(v) for k, v in stock.items()}
        self._received: dict[str, int] = {}
        self._received_orders: list[WarehouseOrder] = []
        self._duplicates: list[str] = []
        self._shipped: list[WarehouseShipment] = []
        self._inventory_files: list[str] = []
        self._shipment_files: list[str] = []
        self._landed_at: dict[str, float] = {}  # order number -> when its complete file appeared in /in
        self._shipment_written_at: dict[str, float] = {}  # order number -> when its first shipment file was written
        self._inventory_written_at = 0.0  # when the last inventory snapshot was in /out
        self._errors: list[str] = []
        self._acks_sent: list[str] = []  # 997 files written for the 940s taken
        self._acks_received: list[str] = []  # 997 files Dockline wrote for its 945/846 files
        self._pending: list[_Pending] = []
        self._shipping = 0  # taken from _pending, not written yet
        self._inventory_due: float | None = None
        self._next_snapshot = 0.0
        self._slow_writes = 0  # next shipment files written in place, in two parts (a fault)
        self._unfinished: list[tuple[Path, bytes, float]] = []  # the rest of files written in place, since when
        self.taken_half_written: list[str] = []  # files written in place that a reader took before they were whole
        self._cancel_answers: list[CancelAnswer] = []  # what it answered to cancellations, and reported itself

    # -- folders ---------------------------------------------------------------

    @property
    def inbox(self) -> Path:
        return self.root / "in"

    @property
    def outbox(self) -> Path:
        return self.root / "out"

    @property
    def processed(self) -> Path:
        return self.root / "in" / "processed"

    def transport_settings(self) -> dict:
        settings = {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "inbox": "/in",
            "outbox": "/out",
            "archive": "/out/archive",
            "error": "/out/error",
            "taken": "/in/processed",  # where this WMS moves the order files it has taken
            "settle_seconds": 0,  # it renames complete files into place: nothing to wait for
        }
        if self.ca_file:
            settings["ca_file"] = str(self.ca_file)
        if self.transport == "sftp" and self._server is not None:
            settings["host_key"] = self._server.host_key_line  # as pinned at Test Connection
        return settings

    @property
    def server(self):
        """The file server (for fault switches: `drop_after_bytes`, `rotate_host_key`, ...)."""
        return self._server

    @property
    def url(self) -> str:
        return f"{self.transport}://{self.host}:{self.port}"

    # -- life cycle ------------------------------------------------------------

    def start(self, *, simulate: bool = True) -> "SimulatedWms":
        """Serve the folders; with `simulate` off no thread runs the warehouse: the caller calls `tick()`."""
        if self._thread is not None or self._server is not None:
            return self
        for folder in (self.inbox, self.processed, self.outbox, self.outbox / "archive", self.outbox / "error"):
            folder.mkdir(parents=True, exist_ok=True)
        if self.tls and self.ca_file is None:
            # outside the served root: the PEM holds the private key too
            self._certdir = tempfile.TemporaryDirectory(prefix="dockline-wms-tls-")
            self.ca_file = self_signed_certificate(self._certdir.name, self.host)
        if self.transport == "sftp":
            from dockline.sandbox.sftpserver import SftpServer

            self._server = SftpServer(
                self.root, username=self.username, password=self.password, host=self.host, port=self.port
            ).start()
        else:
            self._server = LoopbackFtpServer(
                self.root,
                username=self.username,
                password=self.password,
                host=self.host,
                port=self.port,
                tls_certfile=self.ca_file if self.tls else None,
                tls_required=self.tls,
                require_session_reuse=self.tls,
            ).start()
        self.port = self._server.port
        self._stop.clear()
        self._next_snapshot = time.monotonic()  # first snapshot right away
        if simulate:
            self._thread = threading.Thread(target=self._run, name=f"wms-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def pause(self) -> None:
        """Stop simulating (taking orders, shipping, inventory) but keep the FTP server up:
        a test can then play the warehouse by hand in `root`."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def __enter__(self) -> "SimulatedWms":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what tests and the demo read (copies, taken under the lock) ------------

    @property
    def received(self) -> dict[str, int]:
        """How many times each order number arrived (more than 1: duplicates, rejected)."""
        with self._lock:
            return dict(self._received)

    @property
    def received_orders(self) -> list[WarehouseOrder]:
        """Orders accepted (first arrival of each order number), in arrival order."""
        with self._lock:
            return list(self._received_orders)

    @property
    def duplicates(self) -> list[str]:
        with self._lock:
            return list(self._duplicates)

    @property
    def shipped_shipments(self) -> list[WarehouseShipment]:
        with self._lock:
            return list(self._shipped)

    @property
    def shipment_files(self) -> list[str]:
        with self._lock:
            return list(self._shipment_files)

    @property
    def inventory_files(self) -> list[str]:
        with self._lock:
            return list(self._inventory_files)

    @property
    def landed_at(self) -> dict[str, float]:
        """Epoch seconds at which each order's complete file appeared in /in (its inode change time:
        the final rename, or the end of the write), for latency measurements."""
        with self._lock:
            return dict(self._landed_at)

    @property
    def shipment_written_at(self) -> dict[str, float]:
        """Epoch seconds at which each order's first shipment file was in /out."""
        with self._lock:
            return dict(self._shipment_written_at)

    @property
    def inventory_written_at(self) -> float:
        """Epoch seconds at which the last inventory snapshot was in /out (0: none yet)."""
        with self._lock:
            return self._inventory_written_at

    @property
    def stock(self) -> dict[str, int]:
        """Available quantity by warehouse SKU (on hand = available: nothing is reserved)."""
        with self._lock:
            return dict(self._stock)

    @property
    def idle(self) -> bool:
        """True when no received order is waiting to ship (or to ship its rest)."""
        with self._lock:
            return not self._pending and not self._shipping

    @property
    def acks_sent(self) -> list[str]:
        """997 files written to /out, one for each 940 file taken (X12 only)."""
        with self._lock:
            return list(self._acks_sent)

    @property
    def acks_received(self) -> list[str]:
        """997 files Dockline wrote to /in for the 945/846 files it took (X12 only)."""
        with self._lock:
            return list(self._acks_received)

    @property
    def errors(self) -> list[str]:
        """Problems with order files it received (bad rows, unreadable files)."""
        with self._lock:
            return list(self._errors)

    def set_stock(self, sku: str, quantity: int) -> None:
        """Adjust stock (a receipt, a cycle count); a snapshot follows shortly."""
        with self._lock:
            self._stock[sku] = int(quantity)
            self._inventory_due = time.monotonic() + self._debounce
        # the simulator thread writes the snapshot

    def snapshot_now(self) -> None:
        """Write an inventory snapshot on the next tick."""
        with self._lock:
            self._inventory_due = time.monotonic()

    def write_slowly_next(self, n: int = 1) -> None:
        """Fault: the next n shipment files are written in place under their final name, half now and
        the rest one tick later, as a warehouse that does not write atomically (a reader may catch half)."""
        with self._lock:
            self._slow_writes += n

    @property
    def writing(self) -> bool:
        """True while a file written in place is not complete."""
        with self._lock:
            return bool(self._unfinished)

    def wait_for(self, predicate: Callable[["SimulatedWms"], object], timeout: float = 10.0) -> bool:
        """Poll `predicate(self)` until truthy or `timeout` seconds pass; returns whether it held."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    # -- the simulator -----------------------------------------------------------

    @property
    def _debounce(self) -> float:
        return min(self.poll_interval, 0.5)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                self._stop.wait(self.poll_interval)
                continue
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - a sandbox keeps going
                log.exception("simulated WMS tick failed")
                with self._lock:
                    self._errors.append(f"simulator: {exc}")
            self._stop.wait(self.poll_interval)

    def tick(self) -> None:
        """One round: take new order files, ship what is due, write inventory if due."""
        now = time.monotonic()
        self.finish_slow_writes()
        self._take_orders(now)
        self._ship_due(now)
        self._write_inventory_if_due(time.monotonic())

    def _take_orders(self, now: float) -> None:
        try:
            entries = sorted(os.scandir(self.inbox), key=self._arrival_order)
        except FileNotFoundError:
            return
        ack_pattern = self.format.ack_pattern if self.format.acknowledges else None
        for entry in entries:
            if not entry.is_file():
                continue
            if ack_pattern is not None and ack_pattern.match(entry.name):
                self._take_ack(Path(entry.path))
                continue
            if self.format.cancels and self.format.cancel_pattern.match(entry.name):
                self._take_cancellation(Path(entry.path))  # before orders: an X12 cancellation is a 940
                continue
            if not self.format.order_pattern.match(entry.name):
                continue
            path = Path(entry.path)
            try:
                landed = entry.stat().st_ctime
                data = path.read_bytes()
            except OSError:
                continue  # vanished or unreadable: next round
            _move_unique(path, self.processed)
            if ack_pattern is not None:
                self._acknowledge(entry.name, data)
            parsed = self.format.parse_orders(data)
            with self._lock:
                for err in parsed.errors:
                    self._errors.append(f"{entry.name}: {err}")
                for order in parsed.items:
                    number = order.order_number
                    self._received[number] = self._received.get(number, 0) + 1
                    if self._received[number] > 1:
                        self._duplicates.append(number)
                        log.info("WMS rejected duplicate order %s (%s)", number, entry.name)
                        continue
                    self._received_orders.append(order)
                    self._landed_at[number] = landed
                    lines = _merge([(ln.sku, ln.quantity) for ln in order.lines])
                    self._pending.append(_Pending(now + self.ship_delay, order, lines, part=1))

    def _acknowledge(self, name: str, data: bytes) -> None:
        """Answer a received X12 file with a 997 in /out."""
        try:
            ack = self.format.render_997(data)
        except ValueError as exc:
            with self._lock:
                self._errors.append(f"{name}: cannot acknowledge: {exc}")
            return
        control = self.format.envelope(data).items[0].control
        written = _write_atomic(self.outbox, self.format.ack_filename(control, datetime.now(UTC)), ack)
        with self._lock:
            self._acks_sent.append(written)

    def _take_ack(self, path: Path) -> None:
        """Read a 997 Dockline sent: count it (a rejection is an error here), then file it away."""
        try:
            data = path.read_bytes()
        except OSError:
            return
        _move_unique(path, self.processed)
        parsed = self.format.parse_997(data)
        with self._lock:
            self._acks_received.append(path.name)
            self._errors.extend(f"{path.name}: {e}" for e in parsed.errors)
            self._errors.extend(f"{path.name}: {a.describe()}" for a in parsed.items if not a.accepted)

    def _ship_due(self, now: float) -> None:
        with self._lock:
            due = [p for p in self._pending if p.due <= now]
            self._pending = [p for p in self._pending if p.due > now]
            self._shipping += len(due)
        for item in due:
            try:
                lines = item.lines
                if item.may_split:
                    total = sum(q for _, q in lines)
                    if total >= 2 and self._rng.random() < self.partial_rate:
                        lines, rest = _split(lines, self._rng.randint(1, total - 1))
                        later = _Pending(now + self.ship_delay, item.order, rest, part=2, may_split=False)
                        with self._lock:
                            self._pending.append(later)
                self._ship(item.order, lines, item.part)
            finally:
                with self._lock:
                    self._shipping -= 1

    def _ship(self, order: WarehouseOrder, lines: list[tuple[str, int]], part: int) -> None:
        rng = self._rng
        units = sum(q for _, q in lines)
        count = 2 if units >= 3 and rng.random() < 0.3 else 1
        packages = [
            Package(
                tracking_number=_tracking_number(order.carrier, rng),
                weight=Decimal(f"{rng.uniform(0.3, 25):.2f}"),
                length=Decimal(rng.choice((6, 8, 10, 12, 14, 18))),
                width=Decimal(rng.choice((4, 6, 8, 10, 12))),
                height=Decimal(rng.choice((2, 4, 6, 8))),
            )
            for _ in range(count)
        ]
        shipped_at = datetime.now(UTC).replace(microsecond=0)
        shipment = WarehouseShipment(
            shipment_id=f"{order.order_number}-{part}",
            order_number=order.order_number,
            shipped_at=shipped_at,
            carrier=order.carrier,
            service=order.service,
            packages=packages,
            lines=[ShipmentLine(sku, qty) for sku, qty in lines],
        )
        name = self.format.shipment_filename(shipment.shipment_id, shipped_at)
        with self._lock:
            slowly = self._slow_writes > 0
            self._slow_writes -= slowly
        if slowly:
            name = self._write_in_place(name, self.format.render_shipments([shipment]))
        else:
            name = _write_atomic(self.outbox, name, self.format.render_shipments([shipment]))
        with self._lock:
            for sku, qty in lines:
                if sku in self._stock:
                    self._stock[sku] = max(0, self._stock[sku] - qty)
            self._shipped.append(shipment)
            self._shipment_files.append(name)
            self._shipment_written_at.setdefault(order.order_number, time.time())
            self._inventory_due = time.monotonic() + self._debounce
        log.info("WMS shipped %s (%s)", shipment.shipment_id, name)

    def _write_in_place(self, name: str, data: bytes) -> str:
        target = self.outbox / name
        stem, ext = os.path.splitext(name)
        n = 0
        while target.exists():
            n += 1
            target = self.outbox / f"{stem}-{n}{ext}"
        half = len(data) // 2
        target.write_bytes(data[:half])
        with self._lock:
            self._unfinished.append((target, data[half:], time.monotonic()))
        return target.name

    def finish_slow_writes(self) -> None:
        """Write the rest of the files written in place (each tick does; a driver may call it in real time)."""
        with self._lock:
            unfinished, self._unfinished = self._unfinished, []
        for path, rest, since in unfinished:
            if not path.exists():  # taken half-written: what a reader that does not wait long enough gets
                with self._lock:
                    self.taken_half_written.append(f"{path.name} (its writer paused {time.monotonic() - since:.2f} s)")
                continue
            with open(path, "ab") as fh:
                fh.write(rest)

    def _write_inventory_if_due(self, now: float) -> None:
        with self._lock:
            changed = self._inventory_due is not None and self._inventory_due <= now
            if not changed and now < self._next_snapshot:
                return
            self._inventory_due = None
            self._next_snapshot = now + self.inventory_interval
            at = datetime.now(UTC)
            levels = [
                StockLevel(sku, on_hand=qty, available=qty, facility=self.facility, as_of=at.replace(microsecond=0))
                for sku, qty in sorted(self._stock.items())
            ]
        name = self.format.inventory_filename(at)
        while (self.outbox / name).exists():
            at += timedelta(milliseconds=1)
            name = self.format.inventory_filename(at)
        name = _write_atomic(self.outbox, name, self.format.render_inventory(levels))
        with self._lock:
            self._inventory_files.append(name)
            self._inventory_written_at = time.time()


def _merge(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    merged: dict[str, int] = {}
    for sku, qty in lines:
        merged[sku] = merged.get(sku, 0) + qty
    return list(merged.items())


def _split(lines: list[tuple[str, int]], units: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The first `units` units (in line order), and the rest."""
    first: list[tuple[str, int]] = []
    rest: list[tuple[str, int]] = []
    left = units
    for sku, qty in lines:
        take = min(qty, left)
        left -= take
        if take:
            first.append((sku, take))
        if qty - take:
            rest.append((sku, qty - take))
    return first, rest


def _tracking_number(carrier: str, rng: random.Random) -> str:
    code = carrier.upper()
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    if "UPS" in code:
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if "USPS" in code or "POST" in code:
        return "9400" + digits(18)
    if "FEDEX" in code or "FDX" in code:
        return digits(12)
    if "DHL" in code:
        return digits(10)
    return "T" + digits(14)
