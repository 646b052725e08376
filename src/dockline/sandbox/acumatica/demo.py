"""The Acumatica sandbox as a demo store (see dockline.sandbox.demo.DemoStore).

The connector's mode comes from DOCKLINE_DEMO_ACUMATICA_MODE (`sales_orders`, the default, or
`shipments`): `dockline demo` picks stores by platform name only, so one class serves both modes.
In shipment mode each order placed also gets the Open Shipment a user would create in Acumatica,
and the number Dockline sees is the ShipmentNbr.
"""
from __future__ import annotations

import os

from dockline.sandbox.acumatica.server import AcumaticaSandbox
from dockline.sandbox.demo import SandboxDemoStore

MODE_VARIABLE = "DOCKLINE_DEMO_ACUMATICA_MODE"


class AcumaticaDemoStore(SandboxDemoStore):
    platform = "acumatica"
    label = "sandbox Acumatica"

    def __init__(self, mode: str | None = None):
        self.mode = mode or os.environ.get(MODE_VARIABLE) or "sales_orders"
        if self.mode not in ("sales_orders", "shipments"):
            raise ValueError(f"{MODE_VARIABLE} must be sales_orders or shipments, not {self.mode!r}")
        # the demo runs three channels at once: room for their one shared session and a person's Test Connection
        self.sandbox = AcumaticaSandbox(max_sessions=2, action_seconds=0.05)
        self._origin: dict[str, tuple[str, str]] = {}  # number Dockline sees -> sales order

    @property
    def settings(self) -> dict:
        return {"mode": self.mode}

    def add_product(self, sku: str, name: str, price: str, *, tracked: bool) -> None:
        self.sandbox.instance.add_item(sku, name)

    def place_order(self, items: list[tuple[str, int]], shipping_method: str) -> str:
        instance = self.sandbox.instance
        with instance.lock:
            nbr = instance.place_order(items, shipping_method)
            if self.mode == "sales_orders":
                return nbr
            shipment = instance.create_shipment_for("SO", nbr)
            self._origin[shipment] = ("SO", nbr)
            return shipment

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        order = self._origin.get(order_number, ("SO", order_number))
        return [p["TrackingNbr"] for s in self.sandbox.instance.shipments_of(*order)
                for p in s["Packages"] if p["TrackingNbr"]]

    def inventory_level(self, sku: str) -> int | None:
        return None  # an ERP owns its stock: Dockline pushes none


DEMO_STORE = AcumaticaDemoStore
