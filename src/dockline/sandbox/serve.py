"""`dockline sandbox`: a BigCommerce sandbox store and the simulated WMS in a process of their own.

Benchmarks start the sandboxes this way so that what they time is Dockline, not
stand-ins sharing its CPU; a person can start them too and point a connection
at them. On start one JSON line on stdout says where everything is:

    {"store": {"platform", "label", "api_base", "credentials", "settings"},
     "warehouse": {"transport", "file_format", "url", "settings"},
     "control": "http://127.0.0.1:<port>", "pid": ...}

`settings` of the warehouse hold host, port, username, password and folders, as
a Warehouse is created with. The store carries the demo catalog, the warehouse
the demo stock. The control server (loopback) drives the sandboxes from outside:

    POST /orders      {"count": n}  places n demo orders -> {"orders": [[number, placed_at], ...]}
    GET  /timeline    epoch seconds per order number: placed, landed (complete file in /in),
                      shipment_written (first shipment file in /out), tracked (first shipment in the store)
    GET  /state       what each side holds: received, shipments, tracking, store_stock, wms_stock,
                      inventory_files (how many snapshots the warehouse wrote), inventory_written_at
                      and shipment_written_at (epoch seconds of the last of each)
    GET  /stats       API requests answered by route
    PUT  /faults      {"latency_ms": 50}: added to every API answer

Runs until SIGINT or SIGTERM.
"""
from __future__ import annotations

import json
import os
import random
import secrets
import signal
import threading
import time

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from dockline.sandbox.bigcommerce.demo import tracking_in_comments
from dockline.sandbox.bigcommerce.server import BigCommerceSandbox
from dockline.sandbox.bigcommerce.store import PARTIALLY_SHIPPED, SHIPPED
from dockline.sandbox.demo import CATALOG, SHIPPING_RULES, UNMAPPED_SKU, WAREHOUSE_STOCK
from dockline.sandbox.http import LoopbackServer
from dockline.sandbox.wms import SimulatedWms


class Sandboxes:
    """The store, the warehouse and the control server of one `dockline sandbox` process."""

    def __init__(self, *, store_port: int = 0, warehouse_port: int = 0, control_port: int = 0,
                 transport: str = "ftp", file_format: str = "dsfx", latency_ms: float = 0.0,
                 ship_delay: float = 1.0, partial_rate: float = 0.2, inventory_interval: float = 2.0,
                 quota: int = 10_000, resolve: dict[str, str] | None = None, seed: int = 7) -> None:
        self.sandbox = BigCommerceSandbox(store_hash="acme", access_token=secrets.token_hex(16), quota=quota,
                                          port=store_port, seed=seed)
        self.sandbox.faults.latency = latency_ms / 1000
        self.sandbox.webhooks.resolve.update(resolve or {})
        for sku, name, price, _ in CATALOG:
            self.sandbox.store.add_product(sku=sku, name=name, price=price, inventory_level=0,
                                           inventory_tracking="product")
        self.sandbox.store.add_product(sku=UNMAPPED_SKU[0], name=UNMAPPED_SKU[1], price=UNMAPPED_SKU[2],
                                       inventory_level=0, inventory_tracking="none")
        self.wms = SimulatedWms(dict(WAREHOUSE_STOCK), ship_delay=ship_delay, partial_rate=partial_rate,
                                inventory_interval=inventory_interval, seed=seed,
                                port=warehouse_port, transport=transport, format=file_format)
        self.rng = random.Random(seed)
        self.placed: dict[str, float] = {}
        self.tracked: dict[str, float] = {}
        self._lock = threading.Lock()
        self.sandbox.store.listeners.append(self._on_event)
        self._control = LoopbackServer(self._app, "sandbox-control", "127.0.0.1", control_port)
        self._urls = Map([Rule("/orders", endpoint="orders", methods=["POST"]),
                          Rule("/timeline", endpoint="timeline", methods=["GET"]),
                          Rule("/state", endpoint="state", methods=["GET"]),
                          Rule("/stats", endpoint="stats", methods=["GET"]),
                          Rule("/faults", endpoint="faults", methods=["PUT"])])

    def start(self) -> Sandboxes:
        self.sandbox.start()
        self.wms.start()
        self._control.start()
        return self

    def stop(self) -> None:
        self._control.stop()
        self.wms.stop()
        self.sandbox.stop()

    def describe(self) -> dict:
        """Where everything is, as printed on start."""
        return {
            "store": {"platform": "bigcommerce", "label": "sandbox BigCommerce", "api_base": self.sandbox.base_url,
                      "credentials": self.sandbox.credentials, "settings": self.sandbox.settings},
            "warehouse": {"transport": self.wms.transport, "file_format": self.wms.format_name, "url": self.wms.url,
                          "settings": self.wms.transport_settings()},
            "control": self._control.url,
        }

    def place_order(self) -> tuple[str, float]:
        """A demo order (1-3 catalog products, 1-3 of each, a mapped shipping method); (number, placed at)."""
        with self._lock:
            picks = self.rng.sample([c[0] for c in CATALOG], k=self.rng.randint(1, 3))
            items = [(sku, self.rng.randint(1, 3)) for sku in picks]
            method = self.rng.choice([r[0] for r in SHIPPING_RULES])
        number = str(self.sandbox.store.place_order(items=items, shipping_method=method))
        at = time.time()
        with self._lock:
            self.placed[number] = at
        return number, at

    def _on_event(self, scope: str, data: dict) -> None:
        status = (data.get("status") or {}).get("new_status_id")
        if scope == "store/order/statusUpdated" and status in (SHIPPED, PARTIALLY_SHIPPED):
            with self._lock:
                self.tracked.setdefault(str(data["id"]), time.time())

    def timeline(self) -> dict:
        with self._lock:
            placed, tracked = dict(self.placed), dict(self.tracked)
        return {"placed": placed, "landed": self.wms.landed_at, "shipment_written": self.wms.shipment_written_at,
                "tracked": tracked}

    def state(self) -> dict:
        store = self.sandbox.store
        with self._lock:
            numbers = list(self.placed)
        return {
            "received": self.wms.received,
            "shipments": [{"order_number": s.order_number, "tracking_numbers": s.tracking_numbers}
                          for s in self.wms.shipped_shipments],
            "tracking": {n: tracking_in_comments(store.shipments_for(int(n))) for n in numbers},
            "store_stock": {sku: store.inventory_level(sku) for sku, *_ in CATALOG},
            "wms_stock": self.wms.stock,
            "inventory_files": len(self.wms.inventory_files),
            "inventory_written_at": self.wms.inventory_written_at,
            "shipment_written_at": max(self.wms.shipment_written_at.values(), default=0.0),
        }

    def _app(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, _ = self._urls.bind_to_environ(environ).match()
        except NotFound:
            return Response("not found", 404)(environ, start_response)
        body = request.get_json(silent=True) or {}
        if endpoint == "orders":
            answer = {"orders": [self.place_order() for _ in range(int(body.get("count", 1)))]}
        elif endpoint == "timeline":
            answer = self.timeline()
        elif endpoint == "state":
            answer = self.state()
        elif endpoint == "stats":
            answer = {"by_path": dict(self.sandbox.stats.by_path)}
        else:
            self.sandbox.faults.latency = float(body.get("latency_ms", 0)) / 1000
            answer = {"latency_ms": self.sandbox.faults.latency * 1000}
        return Response(json.dumps(answer), mimetype="application/json")(environ, start_response)


def run(**options) -> None:
    """Start the sandboxes, print where they are as one JSON line, serve until SIGINT or SIGTERM."""
    sandboxes = Sandboxes(**options).start()
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())

    print(json.dumps({**sandboxes.describe(), "pid": os.getpid()}), flush=True)
    try:
        stopping.wait()
    finally:
        sandboxes.stop()
