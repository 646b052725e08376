"""Fault trials: a small Dockline world run under faults drawn from a seed, then judged by the sandboxes' records.

Dockline promises that no order is lost or sent twice and no shipment is posted twice, whatever fails.
A trial builds one to three connections (each a sandbox BigCommerce store and a simulated warehouse over
FTP or SFTP), places orders (now and then one with an unmapped SKU), changes stock, and runs the channel
jobs itself through the engine (`run_channel`, as the runner would), round after round, while faults of
the enabled `FAULT_KINDS` fire at every boundary. Then the faults stop, time passes (delayed orders come
due), and the jobs run until nothing moves. The verdict reads what each sandbox recorded:

* lost: an order the warehouse never received, or a shipment whose tracking never reached the store;
* duplicated: an order received twice, or a tracking number posted twice;
* stuck: an order not Closed without an error saying why (an order stopped for a reason the merchant
  can read, such as an unmapped SKU, counts as *stopped*, not stuck);
* stock off: a store SKU whose quantity differs from what the warehouse last reported, netted through
  the listings.

A killed job thread is simulated by raising `Killed` (not an `Exception`: nothing in the engine may swallow
it) at a random side-effect boundary, just before a side effect (`ensure_lease`) or just after one
(a file written or moved, a shipment posted, stock pushed, a status set) before Dockline recorded it;
the next run of that job must finish the work without repeating it. The engine's own `finally` still
gives the lease back, where a dead worker's lease would run out: the SIGKILL of a worker process
belongs to the Celery pass.

Used by bench/chaos.py and tests/chaos. `run_trial(seed)` is deterministic in the faults it draws.
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from django.utils import timezone

from dockline.connections.models import Channel, ChannelKind, Store, Warehouse
from dockline.inventory import services as inventory_services
from dockline.orders import services as order_services
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.sandbox import demo
from dockline.shipments import services as shipment_services
from dockline.sync.jobs import run_channel
from dockline.sync.scheduler import lease_length, new_owner
from dockline.webhooks.services import SECRET_HEADER, endpoint, receive

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
FAULT_ROUNDS = (4, 8)
CALM_ROUNDS = 40
KILL_RATE = 0.05  # chance that a job dies at each side-effect boundary while that fault is on
JOBS = (ChannelKind.ORDERS, ChannelKind.SHIPMENTS, ChannelKind.INVENTORY)


class Killed(BaseException):
    """The job thread stopped dead (BaseException: no `except Exception` in the engine catches it)."""


@dataclass
class Verdict:
    seed: int
    connections: int = 0
    transports: list[str] = field(default_factory=list)
    orders: int = 0
    shipments: int = 0
    faults: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)  # not Closed, with the reason shown (expected)
    stock_off: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.stuck or self.stock_off)

    def describe(self) -> str:
        head = (f"seed {self.seed}: {self.connections} connection(s) ({', '.join(self.transports)}), "
                f"{self.orders} orders, {self.shipments} warehouse shipments, {sum(self.faults.values())} faults, "
                f"{len(self.stopped)} stopped with a reason, {self.seconds:.2f}s")
        problems = [f"{name}: {', '.join(items[:5])}" for name, items in
                    (("lost", self.lost), ("duplicated", self.duplicated), ("stuck", self.stuck),
                     ("stock off", self.stock_off)) if items]
        return head + ("" if not problems else " -- FAILED " + "; ".join(problems))


def run_trial(seed: int, kinds=DEFAULT_KINDS) -> Verdict:
    """Build a world, run it under faults of `kinds` drawn from `seed`, settle it, and judge it."""
    trial = Trial(seed, frozenset(kinds))
    started = time.perf_counter()
    try:
        trial.build()
        with trial.injected():
            trial.run()
        trial.settle()
        verdict = trial.judge()
    finally:
        trial.stop()
    verdict.seconds = time.perf_counter() - started
    return verdict


class Trial:
    """One trial: `build`, `run` under faults (inside `injected()`), `settle`, `judge`, `stop`."""

    def __init__(self, seed: int, kinds: frozenset[str]) -> None:
        self.seed = seed
        self.kinds = kinds
        self.rng = random.Random(seed)
        self.worlds: list[demo.DemoWorld] = []
        self.counted: Counter = Counter()  # faults the driver injects itself
        self.killing = False
        self.late_hooks: list[tuple[int, demo.DemoWorld, bytes, str]] = []  # (round due, world, body, secret)
        self.malformed: list[tuple[demo.DemoWorld, str]] = []
        self.readonly: dict[int, int] = {}  # world index -> rounds left
        self.round = 0
        self._halt = threading.Event()
        self._writer: threading.Thread | None = None

    # -- the world ------------------------------------------------------------------

    def build(self) -> None:
        count = self.rng.choice((1, 1, 2, 2, 3))
        for _ in range(count):
            transport = "sftp" if self.rng.random() < 0.25 else "ftp"
            world = demo.build(intervals=demo.demo_intervals(3600), ship_delay=0.0, partial_rate=0.3,
                               seed=self.rng.randrange(1 << 30), transport=transport, simulate=False)
            self.worlds.append(world)
            world.rng = random.Random(self.rng.randrange(1 << 30))
            world.wms.poll_interval = 0.0  # a stock change is reported on the next tick
            endpoint(world.connection, "http://127.0.0.1")
        ids = [w.connection.id for w in self.worlds]
        type(self.worlds[0].connection).objects.filter(id__in=ids).update(enabled=True)  # build disables older ones
        if SLOW_WRITE in self.kinds:
            for world in self.worlds:
                warehouse = world.connection.warehouse
                warehouse.settings = {**warehouse.settings, "settle_seconds": SETTLE_SECONDS}
                warehouse.save(update_fields=["settings"])
            self._writer = threading.Thread(target=self._finish_slow_writes, name="slow-writer", daemon=True)
            self._writer.start()

    def _finish_slow_writes(self) -> None:
        """The warehouse's slow writer: what it starts in place is complete a moment later, in real time."""
        while not self._halt.wait(SETTLE_SECONDS / 5):
            for world in self.worlds:
                world.wms.finish_slow_writes()

    def stop(self) -> None:
        self._halt.set()
        if self._writer is not None:
            self._writer.join(5)
        for world in self.worlds:
            world.stop()

    # -- rounds under faults ----------------------------------------------------------

    def run(self) -> None:
        for number in range(self.rng.randint(*FAULT_ROUNDS)):
            self.round = number
            for index, world in enumerate(self.worlds):
                self._arm(index, world)
                for _ in range(self.rng.choice((0, 1, 1, 2, 3))):
                    self._place(world)
                if self.rng.random() < 0.3:
                    sku = self.rng.choice(sorted(demo.WAREHOUSE_STOCK))
                    world.wms.set_stock(sku, self.rng.randint(0, 5000))
                world.wms.tick()
            self._deliver_late_hooks()
            self._run_jobs((world, kind) for world in self.rng.sample(self.worlds, len(self.worlds))
                           for kind in JOBS if self.rng.random() < 0.6 or self._due(world, kind))
            self._expire_readonly()

    def settle(self) -> None:
        """No more faults; time passes; the jobs run until nothing changes."""
        self.killing = False
        for world in self.worlds:
            world.store.sandbox.faults.reset()
            self._writable(world)
            world.wms.server.clear_faults()
        self.round = 10**6
        self._deliver_late_hooks()
        quiet, before = 0, None
        for _ in range(CALM_ROUNDS):
            Order.objects.filter(connection__in=[w.connection for w in self.worlds],
                                 status=OrderStatus.DELAYED).update(retry_at=timezone.now())
            for world in self.worlds:
                world.wms.tick()
                if world.wms.idle and not world.wms.writing:
                    world.wms.snapshot_now()
                    world.wms.tick()
                self._run_jobs([(world, kind) for kind in JOBS], settling=True)
            now = self._fingerprint()
            quiet = quiet + 1 if now == before else 0
            before = now
            if quiet >= 1:
                return

    def _fingerprint(self) -> tuple:
        return tuple(
            (tuple(sorted(Counter(Order.objects.filter(connection=w.connection).values_list("status", flat=True))
                          .items())),
             len(w.wms.received_orders), len(w.wms.shipped_shipments), w.wms.idle,
             tuple(sorted(w.wms.stock.items())),
             tuple(w.store.inventory_level(sku) for sku, *_ in demo.CATALOG))
            for w in self.worlds
        )

    def _place(self, world: demo.DemoWorld) -> None:
        if self.rng.random() < 0.08:  # a new product nobody mapped yet (not stock-tracked: the store takes none)
            method = self.rng.choice([rule[0] for rule in demo.SHIPPING_RULES])
            number = world.store.place_order([(demo.UNMAPPED_SKU[0], 1)], method)
            world.placed.append(number)
        else:
            number = world.place_order()
        if not self.rng.random() < 0.7:
            return  # not every store event comes as a webhook in time: the scheduled import finds it
        created = _hook_body(world, "store/order/created", number)
        secret = self._secret(world)
        roll = self.rng.random
        if "webhook_out_of_order" in self.kinds and roll() < 0.15:
            self._deliver(world, _hook_body(world, "store/order/statusUpdated", number), secret)
            self.counted["webhook_out_of_order"] += 1
        if "webhook_delayed" in self.kinds and roll() < 0.15:
            self.late_hooks.append((self.round + self.rng.randint(1, 4), world, created, secret))
            self.counted["webhook_delayed"] += 1
        else:
            self._deliver(world, created, secret)
        if "webhook_duplicate" in self.kinds and roll() < 0.15:
            self._deliver(world, created, secret)
            self.counted["webhook_duplicate"] += 1
        if "webhook_forged" in self.kinds and roll() < 0.1:
            forged = _hook_body(world, "store/order/created", str(int(number) + 1000))
            outcome = receive("bigcommerce", world.connection.id, {SECRET_HEADER: "guessed"}, forged)
            if outcome.status != 401:
                raise AssertionError(f"a forged webhook was answered {outcome.status}, not 401")
            self.counted["webhook_forged"] += 1

    def _secret(self, world: demo.DemoWorld) -> str:
        return endpoint(world.connection, "http://127.0.0.1")[1][SECRET_HEADER]

    @staticmethod
    def _deliver(world: demo.DemoWorld, body: bytes, secret: str) -> None:
        outcome = receive("bigcommerce", world.connection.id, {SECRET_HEADER: secret}, body)
        if outcome.status != 200:
            raise AssertionError(f"a genuine webhook was answered {outcome.status}: {outcome.detail}")

    def _deliver_late_hooks(self) -> None:
        due = [h for h in self.late_hooks if h[0] <= self.round]
        self.late_hooks = [h for h in self.late_hooks if h[0] > self.round]
        for _, world, body, secret in due:
            self._deliver(world, body, secret)

    @staticmethod
    def _due(world: demo.DemoWorld, kind: ChannelKind) -> bool:
        return Channel.objects.filter(connection=world.connection, kind=kind, next_run_at__lte=timezone.now()).exists()

    def _run_jobs(self, jobs: Iterable[tuple[demo.DemoWorld, ChannelKind]], settling: bool = False) -> None:
        """Run these jobs one after the other in this process, drawing lazily (the Celery trial hands them to workers)."""
        for world, kind in jobs:
            self._run_job(world, kind)

    def _run_job(self, world: demo.DemoWorld, kind: ChannelKind) -> None:
        """Claim the job as the scheduler would and run it through the engine; a killed job is taken again later."""
        channel = Channel.objects.get(connection=world.connection, kind=kind)
        token, now = new_owner(), timezone.now()
        Channel.objects.filter(id=channel.id).update(lease_owner=token, lease_expires_at=now + lease_length(),
                                                     next_run_at=now + channel.interval)
        try:
            run_channel(channel.id, token)
        except Killed:
            Channel.objects.filter(id=channel.id).update(lease_owner="", lease_expires_at=None)  # lease ran out

    # -- faults ----------------------------------------------------------------------

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
            _deny_inbox(world)
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
                self._writable(self.worlds[index])

    @staticmethod
    def _writable(world: demo.DemoWorld) -> None:
        server = world.wms.server
        if world.wms.transport == "sftp":
            server.allow("/in")
        else:
            server.allow_writes("/in")

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
            made.client.retry_backoff = 0.001
            made.client._sleep = _quick_sleep  # waits (backoff, a 429's reset) pass in a millisecond
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

    # -- the verdict -----------------------------------------------------------------

    def judge(self) -> Verdict:
        verdict = Verdict(self.seed, connections=len(self.worlds), transports=[w.wms.transport for w in self.worlds])
        for world in self.worlds:
            self._judge_world(world, verdict)
            faults = world.store.sandbox.faults.fired
            for name, count in faults.items():
                verdict.faults[STORE_FAULTS.get(name, name)] += count
            drops = world.wms.server.drops
            if drops:
                verdict.faults["warehouse_dropped_transfer"] += drops
        verdict.faults.update(self.counted)
        for world, name in self.malformed:
            if not (world.wms.outbox / "error" / name).exists():
                where = [str(p.relative_to(world.wms.root)) for p in world.wms.root.rglob(name)]
                verdict.stuck.append(f"malformed file {name} not set aside in /out/error (found: {where or 'nowhere'})")
        return verdict

    def _judge_world(self, world: demo.DemoWorld, verdict: Verdict) -> None:
        received = world.wms.received
        shipped = world.wms.shipped_shipments
        store = world.store.sandbox.store
        verdict.orders += len(world.placed)
        verdict.shipments += len(shipped)
        orders = {o.number: o for o in Order.objects.filter(connection=world.connection)}
        for number in world.placed:
            tag = f"{world.connection.id}/{number}"
            order = orders.get(number)
            unmapped = any(p["sku"] == demo.UNMAPPED_SKU[0] for p in store.order_products(int(number)))
            times = received.get(number, 0)
            if times > 1:
                verdict.duplicated.append(f"order {tag} reached the warehouse {times} times")
            tracking = world.store.tracking_numbers(number)
            if len(tracking) > len(set(tracking)):
                verdict.duplicated.append(f"order {tag} has tracking posted twice")
            wms_tracking = {t for s in shipped if s.order_number == number for t in s.tracking_numbers}
            if set(tracking) != wms_tracking:
                verdict.lost.append(f"order {tag}: store tracking {sorted(set(tracking))} != warehouse's")
            if order is None:
                verdict.lost.append(f"order {tag} never reached Dockline")
                continue
            if order.status == OrderStatus.CLOSED:
                if times == 0:
                    verdict.lost.append(f"order {tag} closed but never reached the warehouse")
                continue
            if order.status in (OrderStatus.ERROR, OrderStatus.FAILED) and order.error:
                verdict.stopped.append(f"{tag}: {order.error}")
                if not unmapped and times == 0:
                    verdict.lost.append(f"order {tag} stopped and never reached the warehouse: {order.error}")
                continue
            if times == 0 and not unmapped:
                verdict.lost.append(f"order {tag} is {order.get_status_display()} but never reached the warehouse")
            last = order.activity.order_by("-id").values_list("message", flat=True).first()
            verdict.stuck.append(f"order {tag} is {order.get_status_display()} ({last})")
        expected = demo._expected_store_stock(world)
        for sku, qty in expected.items():
            level = world.store.inventory_level(sku)
            if level != qty:
                verdict.stock_off.append(f"{world.connection.id}/{sku}: store {level}, warehouse {qty}")


def _hook_body(world: demo.DemoWorld, scope: str, number: str) -> bytes:
    """A BigCommerce callback as the store sends it (its `hash` is the event's identity)."""
    data = {"type": "order", "id": int(number)}
    if scope.endswith("statusUpdated"):
        data["status"] = {"previous_status_id": 0, "new_status_id": 11}
    event = {"scope": scope, "store_id": "1", "data": data, "producer": f"stores/{world.store.sandbox.store_hash}"}
    event["hash"] = hashlib.sha1(json.dumps(event, sort_keys=True).encode()).hexdigest()
    event["created_at"] = int(time.time())
    return json.dumps(event).encode()


def _deny_inbox(world: demo.DemoWorld) -> None:
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
