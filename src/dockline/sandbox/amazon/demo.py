"""The Amazon sandbox as a demo store (see dockline.sandbox.demo.DemoStore).

The demo's shipping methods become Amazon's shipping speeds (Amazon knows no others), and
its usage plans run 1000 times faster than Amazon's so a demo takes minutes, not days."""
from __future__ import annotations

import secrets

from dockline.sandbox.amazon.server import AmazonSandbox
from dockline.sandbox.demo import SandboxDemoStore

SERVICE_LEVELS = {"Flat Rate": "STANDARD", "Free Shipping": "FREE_ECONOMY", "Express": "EXPEDITED"}
RATE_SCALE = 1000.0


class AmazonDemoStore(SandboxDemoStore):
    platform = "amazon"
    label = "sandbox Amazon"

    def __init__(self):
        self.sandbox = AmazonSandbox(client_secret=secrets.token_hex(16),
                                     refresh_token="Atzr|" + secrets.token_urlsafe(24), rate_scale=RATE_SCALE)

    def add_product(self, sku: str, name: str, price: str, *, tracked: bool) -> None:
        # An offer Amazon fulfils (FBA) is one whose stock the seller does not set.
        self.sandbox.seller.add_listing(sku, name, price, channel="DEFAULT" if tracked else "AMAZON")

    def place_order(self, items: list[tuple[str, int]], shipping_method: str) -> str:
        return self.sandbox.seller.place_order(items, service_level=SERVICE_LEVELS.get(shipping_method, "STANDARD"))

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        return self.sandbox.seller.tracking_numbers(order_number)

    def inventory_level(self, sku: str) -> int | None:
        return self.sandbox.seller.quantity(sku)


DEMO_STORE = AmazonDemoStore
