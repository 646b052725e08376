"""Sandboxes in a process of their own (`dockline sandbox`), driven from a benchmark or a test.

    with RemoteSandboxes.spawn(latency_ms=50) as sandboxes:
        world = sandboxes.world(intervals=demo_intervals(1.0))   # a DemoWorld: connection in this database
        world.place_order()
        demo.verify(world, 1)

`RemoteStore` and `RemoteWms` answer what `demo.verify` asks from one snapshot of
the sandbox process's state (taken when verify first reads what the warehouse
received), so a check costs one request, not one per order.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

import dockline
from dockline.sandbox.demo import DemoWorld, create_connection
from dockline.sync.jobs import sync_inventory


@dataclass(frozen=True)
class _Shipment:
    order_number: str
    tracking_numbers: list[str]


class RemoteSandboxes:
    """One `dockline sandbox` process: its description (as printed) and its control server."""

    def __init__(self, process: subprocess.Popen, description: dict) -> None:
        self.process = process
        self.description = description
        self.control = httpx.Client(base_url=description["control"], timeout=60.0)
        self.store = RemoteStore(self)
        self.wms = RemoteWms(self)
        self._state: dict | None = None

    @classmethod
    def spawn(cls, *, latency_ms: float = 0.0, ship_delay: float = 1.0, partial_rate: float = 0.2,
              inventory_interval: float = 2.0, resolve: dict[str, str] | None = None,
              transport: str = "ftp") -> RemoteSandboxes:
        args = [sys.executable, "-m", "dockline.cli", "sandbox", "--latency-ms", str(latency_ms),
                "--ship-delay", str(ship_delay), "--partial-rate", str(partial_rate), "--transport", transport,
                "--inventory-interval", str(inventory_interval)]
        for host, origin in (resolve or {}).items():
            args += ["--resolve", f"{host}={origin}"]
        # the same dockline as this process's, wherever it was imported from
        source = str(Path(dockline.__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
        process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, start_new_session=True,
                                   env={**os.environ, "DJANGO_SETTINGS_MODULE": "dockline.settings", "PYTHONPATH": path})
        line = process.stdout.readline()
        if not line:
            process.wait(10)
            raise RuntimeError(f"dockline sandbox exited with {process.returncode} before saying where it listens")
        return cls(process, json.loads(line))

    def stop(self) -> None:
        self.control.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)

    def __enter__(self) -> RemoteSandboxes:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- control ---------------------------------------------------------------

    def place_orders(self, count: int = 1) -> list[tuple[str, float]]:
        return [tuple(o) for o in self.control.post("/orders", json={"count": count}).json()["orders"]]

    def timeline(self) -> dict[str, dict[str, float]]:
        return self.control.get("/timeline").json()

    def requests_by_route(self) -> dict[str, int]:
        return self.control.get("/stats").json()["by_path"]

    def set_latency(self, ms: float) -> None:
        self.control.put("/faults", json={"latency_ms": ms})

    def state(self, *, fresh: bool = False) -> dict:
        if fresh or self._state is None:
            self._state = self.control.get("/state").json()
        return self._state

    def world(self, *, intervals: dict[str, timedelta], learn_stock: bool = True) -> DemoWorld:
        """The demo connection in this process's database, pointing at these sandboxes."""
        warehouse = self.description["warehouse"]
        connection, password = create_connection(
            self.store, warehouse["settings"], transport=warehouse["transport"],
            file_format=warehouse["file_format"], format_settings=None, intervals=intervals)
        if learn_stock:  # from the warehouse's first snapshot, written as it starts
            deadline = time.monotonic() + 10
            while not self.state(fresh=True)["inventory_files"] and time.monotonic() < deadline:
                time.sleep(0.05)
            sync_inventory(connection)
        return RemoteWorld(self.store, self.wms, connection, "admin", password, sandboxes=self)


class RemoteWorld(DemoWorld):
    """A DemoWorld whose orders are placed by the sandbox process."""

    def __init__(self, *args, sandboxes: RemoteSandboxes, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sandboxes = sandboxes

    def place_order(self, *, allow_unmapped: bool = False) -> str:
        return self.place_orders(1)[0]

    def place_orders(self, count: int) -> list[str]:
        numbers = [number for number, _ in self.sandboxes.place_orders(count)]
        self.placed.extend(numbers)
        return numbers

    def stop(self) -> None:
        self.sandboxes.stop()


class RemoteStore:
    """The sandbox store as `demo.create_connection` and `demo.verify` read it (from the last snapshot;
    the sandbox process carries the demo catalog and places the orders)."""

    platform = "bigcommerce"
    label = "sandbox BigCommerce (own process)"

    def __init__(self, sandboxes: RemoteSandboxes) -> None:
        self._sandboxes = sandboxes
        store = sandboxes.description["store"]
        self.address = store["api_base"]
        self.credentials = store["credentials"]
        self.settings = store["settings"]

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        return self._sandboxes.state()["tracking"].get(order_number, [])

    def inventory_level(self, sku: str) -> int | None:
        return self._sandboxes.state()["store_stock"].get(sku)


class RemoteWms:
    """The simulated WMS as `demo.verify` reads it (from the last snapshot)."""

    def __init__(self, sandboxes: RemoteSandboxes) -> None:
        self._sandboxes = sandboxes
        self.url = sandboxes.description["warehouse"]["url"]
        self.transport = sandboxes.description["warehouse"]["transport"]

    @property
    def received(self) -> dict[str, int]:
        return self._sandboxes.state(fresh=True)["received"]  # verify reads it first: the snapshot starts here

    @property
    def shipped_shipments(self) -> list[_Shipment]:
        return [_Shipment(**s) for s in self._sandboxes.state()["shipments"]]

    @property
    def stock(self) -> dict[str, int]:
        return self._sandboxes.state()["wms_stock"]


__all__ = ["RemoteSandboxes", "RemoteWorld"]
