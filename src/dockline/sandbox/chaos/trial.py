"""Fault trials: a small Dockline world run under faults drawn from a seed, then judged by the sandboxes' records.

Dockline promises that no order is lost or sent twice and no shipment is posted twice, whatever fails.
A trial builds one to three connections (each a sandbox BigCommerce store and a simulated warehouse over
FTP or SFTP), places orders (now and then one with an unmapped SKU), changes stock, and runs the channel
jobs itself through the engine (`run_channel`, as the runner would), round after round, while faults of
the enabled `FAULT_KINDS` fire at every boundary (`faults`). Then the faults stop, time passes (delayed
orders come due), and the jobs run until nothing moves; `verdict` reads what each sandbox recorded.

A killed job thread's lease is given back by the engine's own `finally`, where a dead worker's lease
would run out: the SIGKILL of a worker process belongs to the Celery pass (`celery`).
`run_trial(seed)` is deterministic in the faults it draws.
"""
from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable

from django.test import override_settings
from django.utils import timezone

from dockline.connections.models import Channel, ChannelKind
from dockline.inventory.models import PushedStock
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.sandbox import demo
from dockline.sandbox.chaos.faults import (
    DEFAULT_KINDS,
    SETTLE_SECONDS,
    SLOW_WRITE,
    STALE_WRITE_SECONDS,
    FaultInjection,
    Killed,
    allow_inbox,
)
from dockline.sandbox.chaos.verdict import Verdict, judge
from dockline.sync.jobs import run_channel
from dockline.sync.scheduler import lease_length, new_owner
from dockline.webhooks.services import SECRET_HEADER, endpoint, receive

FAULT_ROUNDS = (4, 8)
CALM_ROUNDS = 40
JOBS = (ChannelKind.ORDERS, ChannelKind.SHIPMENTS, ChannelKind.INVENTORY)


def run_trial(seed: int, kinds=DEFAULT_KINDS) -> Verdict:
    """Build a world, run it under faults of `kinds` drawn from `seed`, settle it, and judge it."""
    trial = Trial(seed, frozenset(kinds))
    started = time.perf_counter()
    try:
        with override_settings(STALE_WRITE_SECONDS=STALE_WRITE_SECONDS):
            trial.build()
            with trial.injected():
                trial.run()
            trial.settle()
            verdict = trial.judge()
    finally:
        trial.stop()
    verdict.seconds = time.perf_counter() - started
    return verdict


class Trial(FaultInjection):
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
            allow_inbox(world)
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
                if not self._pushes_in_doubt():
                    return
                time.sleep(0.05)  # a push the store sat on may still land; Dockline pushes again after that

    def _pushes_in_doubt(self) -> bool:
        return PushedStock.objects.filter(connection__in=[w.connection for w in self.worlds],
                                          quantity__isnull=True, skipped_reason="").exists()

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

    def judge(self) -> Verdict:
        return judge(self.seed, self.worlds, self.counted, self.malformed)


def _hook_body(world: demo.DemoWorld, scope: str, number: str) -> bytes:
    """A BigCommerce callback as the store sends it (its `hash` is the event's identity)."""
    data = {"type": "order", "id": int(number)}
    if scope.endswith("statusUpdated"):
        data["status"] = {"previous_status_id": 0, "new_status_id": 11}
    event = {"scope": scope, "store_id": "1", "data": data, "producer": f"stores/{world.store.sandbox.store_hash}"}
    event["hash"] = hashlib.sha1(json.dumps(event, sort_keys=True).encode()).hexdigest()
    event["created_at"] = int(time.time())
    return json.dumps(event).encode()
