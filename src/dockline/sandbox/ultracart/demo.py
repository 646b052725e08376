"""The UltraCart sandbox as a demo store (see dockline.sandbox.demo.DemoStore)."""
from __future__ import annotations

import secrets

from dockline.sandbox.demo import SandboxDemoStore
from dockline.sandbox.ultracart.server import UltraCartSandbox


class UltraCartDemoStore(SandboxDemoStore):
    platform = "ultracart"
    label = "sandbox UltraCart"

    def __init__(self):
        self.sandbox = UltraCartSandbox(merchant_id="ACME", api_key=secrets.token_hex(16),
                                        distribution_centers=("RIVER",))

    def add_product(self, sku: str, name: str, price: str, *, tracked: bool) -> None:
        # Inventory tracking is on for every UltraCart connection: `tracked` does not apply.
        self.sandbox.store.add_item(sku, name, price)

    def place_order(self, items: list[tuple[str, int]], shipping_method: str) -> str:
        return self.sandbox.store.place_order(items, shipping_method)

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        return self.sandbox.store.tracking_numbers(order_number)

    def inventory_level(self, sku: str) -> int | None:
        return self.sandbox.store.inventory_level(sku)


DEMO_STORE = UltraCartDemoStore
