"""The BigCommerce sandbox as a demo store (see dockline.sandbox.demo.DemoStore)."""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from dockline.sandbox.bigcommerce.server import BigCommerceSandbox
from dockline.sandbox.demo import SandboxDemoStore


class BigCommerceDemoStore(SandboxDemoStore):
    platform = "bigcommerce"
    label = "sandbox BigCommerce"

    def __init__(self, quota: int = 10_000):
        self.sandbox = BigCommerceSandbox(store_hash="acme", access_token=secrets.token_hex(16), quota=quota)

    def add_product(self, sku: str, name: str, price: str, *, tracked: bool) -> None:
        self.sandbox.store.add_product(sku=sku, name=name, price=price, inventory_level=0,
                                       inventory_tracking="product" if tracked else "none")

    def place_order(self, items: list[tuple[str, int]], shipping_method: str) -> str:
        return str(self.sandbox.store.place_order(items=items, shipping_method=shipping_method))

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        return tracking_in_comments(self.sandbox.store.shipments_for(int(order_number)))

    def inventory_level(self, sku: str) -> int | None:
        return self.sandbox.store.inventory_level(sku)

    def route_webhooks(self, public_url: str, origin: str) -> bool:
        self.sandbox.webhooks.resolve[urlsplit(public_url).hostname] = origin
        return True


DEMO_STORE = BigCommerceDemoStore


def tracking_in_comments(shipments: list[dict]) -> list[str]:
    """Each shipment's tracking number, plus those it lists as additional (more boxes than items)."""
    numbers = []
    for shipment in shipments:
        if shipment.get("tracking_number"):
            numbers.append(shipment["tracking_number"])
        extra = re.search(r"Additional tracking numbers: ([^.]*)\.", shipment.get("comments") or "")
        if extra:
            numbers.extend(n.strip() for n in extra.group(1).split(","))
    return numbers
