"""The eBay sandbox as a demo store (see dockline.sandbox.demo.DemoStore).

Tracked products are Inventory API items; an untracked one is a listing made in Seller Hub, which the
Inventory API cannot change (Dockline reports it as not synced).
"""
from __future__ import annotations

from dockline.sandbox.demo import SandboxDemoStore
from dockline.sandbox.ebay.server import EbaySandbox


class EbayDemoStore(SandboxDemoStore):
    platform = "ebay"
    label = "sandbox eBay"

    def __init__(self):
        self.sandbox = EbaySandbox()

    def add_product(self, sku: str, name: str, price: str, *, tracked: bool) -> None:
        if tracked:
            self.sandbox.store.add_item(sku, name)
        else:
            self.sandbox.store.add_legacy_listing(sku)

    def place_order(self, items: list[tuple[str, int]], shipping_method: str) -> str:
        # The demo's shipping rules name store methods; the sandbox reports them as eBay's service code.
        return self.sandbox.store.place_order(items, shipping_method)

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        return self.sandbox.store.tracking_numbers(order_number)

    def inventory_level(self, sku: str) -> int | None:
        return self.sandbox.store.inventory_level(sku)


DEMO_STORE = EbayDemoStore
