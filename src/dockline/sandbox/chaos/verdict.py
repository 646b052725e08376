"""The verdict of a fault trial, read from what each sandbox recorded, never from Dockline's own account.

* lost: an order the warehouse never received, or a shipment whose tracking never reached the store;
* duplicated: an order received twice, or a tracking number posted twice;
* stuck: an order not Closed without an error saying why (an order stopped for a reason the merchant
  can read, such as an unmapped SKU, counts as *stopped*, not stuck);
* stock off: a store SKU whose quantity differs from what the warehouse last reported, netted through
  the listings.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dockline.inventory.models import AppliedSnapshot, PushedStock, StockLevel
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.sandbox import demo
from dockline.sandbox.chaos.faults import STORE_FAULTS
from dockline.warehouses.models import Direction, ExchangeRecord


@dataclass
class Verdict:
    """What one trial found; `ok` when nothing was lost, duplicated, stuck or off."""

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
    half_written: list[str] = field(default_factory=list)  # in-place writes taken before the writer finished
    stock_story: list[str] = field(default_factory=list)  # where stock went, for a world with stock off
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
        if problems and self.half_written:  # the simulated warehouse paused longer than Dockline waits
            problems.append(f"taken half-written: {', '.join(self.half_written[:5])}")
        if self.stock_off:
            problems += self.stock_story
        return head + ("" if not problems else " -- FAILED " + "; ".join(problems))


def judge(seed: int, worlds: list[demo.DemoWorld], counted: Counter,
          malformed: list[tuple[demo.DemoWorld, str]]) -> Verdict:
    """Read what each world's sandboxes recorded; `counted` and `malformed` are what the driver injected."""
    verdict = Verdict(seed, connections=len(worlds), transports=[w.wms.transport for w in worlds])
    for world in worlds:
        _judge_world(world, verdict)
        verdict.half_written += world.wms.taken_half_written
        faults = world.store.sandbox.faults.fired
        for name, count in faults.items():
            verdict.faults[STORE_FAULTS.get(name, name)] += count
        drops = world.wms.server.drops
        if drops:
            verdict.faults["warehouse_dropped_transfer"] += drops
    verdict.faults.update(counted)
    for world, name in malformed:
        if not (world.wms.outbox / "error" / name).exists():
            where = [str(p.relative_to(world.wms.root)) for p in world.wms.root.rglob(name)]
            verdict.stuck.append(f"malformed file {name} not set aside in /out/error (found: {where or 'nowhere'})")
    return verdict


def _judge_world(world: demo.DemoWorld, verdict: Verdict) -> None:
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
            verdict.lost.append(f"order {tag}: store tracking {sorted(set(tracking))} != warehouse's "
                                f"({_whereabouts(world, number)})")
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
    off = []
    for sku, qty in expected.items():
        level = world.store.inventory_level(sku)
        if level != qty:
            off.append(sku)
            verdict.stock_off.append(f"{world.connection.id}/{sku}: store {level}, warehouse {qty}")
    if off:
        verdict.stock_story.append(f"stock of connection {world.connection.id}: {_stock_whereabouts(world, off)}")


def _whereabouts(world: demo.DemoWorld, number: str) -> str:
    """Where the warehouse's shipment files for order `number` are now, and what Dockline recorded of each."""
    wms = world.wms
    files = [name for shipment, name in zip(wms.shipped_shipments, wms.shipment_files, strict=True)
             if shipment.order_number == number]
    return "; ".join(_file_story(world, name) for name in files) or "no shipment file written"


def _stock_whereabouts(world: demo.DemoWorld, store_skus: list[str]) -> str:
    """For store SKUs that are off: the warehouse's last stock files and what Dockline made of them, its
    counts against the warehouse's, and what it last pushed."""
    warehouse = world.connection.warehouse
    parts = {sku for store_sku, _, _, comps in demo.CATALOG if store_sku in store_skus
             for sku, _ in comps or [(store_sku, 1)]}
    files = [_file_story(world, name) for name in world.wms.inventory_files[-3:]]
    applied = [f"{a.facility or '(all)'} {a.filename} as of {a.as_of:%H:%M:%S.%f}"
               for a in AppliedSnapshot.objects.filter(warehouse=warehouse)]
    truth = world.wms.stock
    counts = [f"{lv.sku} {lv.available} as of {lv.as_of:%H:%M:%S} (warehouse {truth.get(lv.sku)})"
              for lv in StockLevel.objects.filter(warehouse=warehouse, sku__in=parts)]
    pushed = [f"{p.store_sku} {p.quantity} pushed {p.pushed_at:%H:%M:%S.%f}"
              + (f" in doubt until {p.doubt_until:%H:%M:%S.%f}" if p.doubt_until else "")
              for p in PushedStock.objects.filter(connection=world.connection, store_sku__in=store_skus)
              if p.pushed_at]
    return (f"last files: {'; '.join(files) or 'none'}; applied: {', '.join(applied) or 'none'}; "
            f"counts: {', '.join(counts) or 'none'}; pushed: {', '.join(pushed) or 'none'}")


def _file_story(world: demo.DemoWorld, name: str) -> str:
    """Where a file the warehouse wrote lies now, and each record Dockline made of it."""
    wms = world.wms
    where = sorted(str(p.parent.relative_to(wms.root)) for p in wms.root.rglob(name)) or ["nowhere"]
    records = [f"{state}{': ' + error[:100] if error else ''}" for state, error in ExchangeRecord.objects.filter(
        warehouse=world.connection.warehouse, direction=Direction.IN, filename=name,
    ).order_by("id").values_list("state", "error")]
    return f"{name} in {', '.join(where)}, recorded {'; '.join(records) or 'never'}"
