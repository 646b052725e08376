"""The faults of a fault trial: what may fail, arming it in the sandboxes, and the job-thread kill points.

Each round `FaultInjection._arm` draws, from the trial's seed, which of the enabled `FAULT_KINDS` the
store and the warehouse of one connection suffer next (the store's faults are the BigCommerce sandbox's,
counted by `Faults.fired` and named here through `STORE_FAULTS`). A killed job thread is simulated by
raising `Killed` (not an `Exception`: nothing in the engine may swallow it) at a random side-effect
boundary, just before a side effect (`ensure_lease`) or just after one (a file written or moved, a
shipment posted, stock pushed, a status set) before Dockline recorded it; `injected()` sets those
points up, and the next run of that job must finish the work without repeating it.
"""
from __future__ import annotations

import random
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

import httpx

from dockline.connections.models import Store, Warehouse
from dockline.inventory import services as inventory_services
from dockline.orders import services as order_services
from dockline.sandbox import demo
from dockline.shipments import services as shipment_services

FAULT_KINDS = {
    "store_rate_limited": "the store answers 429",
    "store_server_error": "the store answers 500, 502 or 503",
    "store_timeout": "the store does not answer in time",
    "store_dropped_connection": "the store closes the connection without answering",
    "store_slow": "the store answers slowly",
    "store_lost_shipment_answer": "a shipment is created in the store, its answer is lost",
    "store_lost_stock_answer": "stock is set in the store, the answer is lost",
    "store_lost_status_answer": "an order's status is changed in the store, the answer is lost",
    "webhook_duplicate": "the store delivers a webhook twice",
    "webhook_out_of_order": "a status webhook arrives before the order's created webhook",
    "webhook_delayed": "a webhook arrives rounds later",
    "webhook_forged": "a delivery without the right secret",
    "warehouse_drop_upload": "the warehouse server drops the connection mid-upload",
    "warehouse_drop_download": "the warehouse server drops the connection mid-download",
    "warehouse_file_twice": "the warehouse drops the same shipment file twice",
    "warehouse_malformed_file": "a malformed file among the good ones",
    "warehouse_not_writable": "the warehouse's inbox refuses writes for a while",
    "warehouse_writes_in_place": "a shipment file written slowly under its final name",
    "job_killed_before_side_effect": "a job thread dies just before a side effect",
    "job_killed_after_side_effect": "a job thread dies just after a side effect, before recording it",
}
SLOW_WRITE = "warehouse_writes_in_place"
DEFAULT_KINDS = tuple(FAULT_KINDS)
# The trial warehouses wait this long for a file to hold still (`settle_seconds`); a file written in place
# is finished within a fifth of it (a writer that never pauses longer than Dockline waits).
SETTLE_SECONDS = 0.25

STORE_FAULTS = {  # what the BigCommerce sandbox counts (Faults.fired) -> our kind
    "429": "store_rate_limited", "5xx": "store_server_error", "timeout": "store_timeout",
    "dropped": "store_dropped_connection", "slow": "store_slow",
    "lost answer POST /v2/orders/{order_id}/shipments": "store_lost_shipment_answer",
    "lost answer PUT /v3/inventory/adjustments/absolute": "store_lost_stock_answer",
    "lost answer PUT /v2/orders/{order_id}": "store_lost_status_answer",
}
CLIENT_TIMEOUT = 0.1  # seconds; the store's "timeout" fault sits on a request longer than this
# The store applies a request it sat on (twice the client's timeout) within this (settings.STALE_WRITE_SECONDS).
STALE_WRITE_SECONDS = CLIENT_TIMEOUT * 4
KILL_RATE = 0.05  # chance that a job dies at each side-effect boundary while that fault is on


class Killed(BaseException):
    """The job thread stopped dead (BaseException: no `except Exception` in the engine catches it)."""


class FaultInjection:
    """The fault half of a `Trial`: draws from its `rng` which enabled `kinds` fire, and counts in `counted`
    the faults the driver injects itself (the sandboxes count theirs)."""

    rng: random.Random
    kinds: frozenset[str]
    counted: Counter
    killing: bool
    malformed: list[tuple[demo.DemoWorld, str]]
    readonly: dict[int, int]
    round: int
    worlds: list[demo.DemoWorld]

    def _on(self, kind: str, chance: float) -> bool:
        return kind in self.kinds and self.rng.random() < chance

    def _arm(self, index: int, world: demo.DemoWorld) -> None:
        faults = world.store.sandbox.faults
        faults.latency = 0.005 if self._on("store_slow", 0.3) else 0.0
        if self._on("store_rate_limited", 0.3):
            faults.throttle_next(self.rng.randint(1, 2))
        if self._on("store_server_error", 0.3):
            faults.fail_next(self.rng.randint(1, 2), status=self.rng.choice((500, 502, 503)))
        if self._on("store_timeout", 0.15):
            faults.timeout_next(1, seconds=CLIENT_TIMEOUT * 2)
        if self._on("store_dropped_connection", 0.3):
            faults.drop_next(1)
        for kind, route in (("store_lost_shipment_answer", "POST /v2/orders/{order_id}/shipments"),
                            ("store_lost_stock_answer", "PUT /v3/inventory/adjustments/absolute"),
                            ("store_lost_status_answer", "PUT /v2/orders/{order_id}")):
            if self._on(kind, 0.3):
                faults.lose_answer_next(1, route=route)
        wms = world.wms
        drops = [k for k in ("warehouse_drop_upload", "warehouse_drop_download") if k in self.kinds]
        if drops and self.rng.random() < 0.3:
            direction = self.rng.choice(drops).rsplit("_", 1)[1]
            wms.server.drop_after_bytes(self.rng.randint(0, 400), direction)
        if self._on("warehouse_file_twice", 0.3):
            self._drop_twice(world)
        if self._on("warehouse_malformed_file", 0.15):
            name = wms.format.shipment_filename(f"BAD{self.round}x{index}", datetime.now(UTC))
            (wms.outbox / name).write_bytes(f"this,is,not\n{name}\n".encode() + b"\x00\xff a shipment file\n")
            self.malformed.append((world, name))
            self.counted["warehouse_malformed_file"] += 1
        if index not in self.readonly and self._on("warehouse_not_writable", 0.1):
            self.readonly[index] = self.rng.randint(1, 3)
            deny_inbox(world)
            self.counted["warehouse_not_writable"] += 1
        if self._on(SLOW_WRITE, 0.3):
            wms.write_slowly_next(1)
            self.counted[SLOW_WRITE] += 1

    def _drop_twice(self, world: demo.DemoWorld) -> None:
        wms = world.wms
        for folder in (wms.outbox / "archive", wms.outbox):
            files = sorted(p for p in folder.iterdir() if wms.format.shipment_pattern.match(p.name))
            if files:
                source = self.rng.choice(files)
                stem, dot, ext = source.name.rpartition(".")
                shutil.copyfile(source, wms.outbox / f"{stem}_again{self.round}.{ext}")
                self.counted["warehouse_file_twice"] += 1
                return

    def _expire_readonly(self) -> None:
        for index in list(self.readonly):
            self.readonly[index] -= 1
            if self.readonly[index] <= 0:
                del self.readonly[index]
                allow_inbox(self.worlds[index])

    def _maybe_kill(self, where: str) -> None:
        kind = f"job_killed_{where}_side_effect"
        if self.killing and self._on(kind, KILL_RATE):
            self.counted[kind] += 1
            raise Killed(kind)

    @contextmanager
    def injected(self) -> Iterator[None]:
        """Kill points around every side effect, and store clients that give up fast (for the timeouts)."""
        trial = self
        real_open, real_connector = Warehouse.open_transport, Store.connector

        def before():
            trial._maybe_kill("before")

        def after(fn):
            def call(*args, **kwargs):
                result = fn(*args, **kwargs)
                trial._maybe_kill("after")
                return result
            return call

        def open_transport(warehouse):
            transport = real_open(warehouse)
            transport.write_atomic, transport.move = after(transport.write_atomic), after(transport.move)
            return transport

        def connector(store):
            made = real_connector(store)
            made.client.http.timeout = httpx.Timeout(CLIENT_TIMEOUT)
            # waits (a retry's backoff, a 429's reset, the quota's window) pass in a millisecond
            made.client.policy.sleep = made.client.quota._sleep = _quick_sleep
            for name in ("post_shipment", "push_stock", "mark_forwarded"):
                setattr(made, name, after(getattr(made, name)))
            return made

        with ExitStack() as stack:
            for module in (order_services, shipment_services, inventory_services):
                stack.enter_context(_patched(module, "ensure_lease", _chain(before, module.ensure_lease)))
            stack.enter_context(_patched(Warehouse, "open_transport", open_transport))
            stack.enter_context(_patched(Store, "connector", connector))
            self.killing = True
            try:
                yield
            finally:
                self.killing = False


def allow_inbox(world: demo.DemoWorld) -> None:
    server = world.wms.server
    if world.wms.transport == "sftp":
        server.allow("/in")
    else:
        server.allow_writes("/in")


def deny_inbox(world: demo.DemoWorld) -> None:
    server = world.wms.server
    if world.wms.transport == "sftp":
        server.deny("/in")
    else:
        server.deny_writes("/in")


def _quick_sleep(seconds: float) -> None:
    time.sleep(min(seconds, 0.001))


def _chain(first, then):
    def call(*args, **kwargs):
        first()
        return then(*args, **kwargs)
    return call


@contextmanager
def _patched(owner, name: str, value) -> Iterator[None]:
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)
