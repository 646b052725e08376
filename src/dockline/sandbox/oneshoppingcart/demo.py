"""The 1ShoppingCart sandbox as a demo store (see dockline.sandbox.demo.DemoStore).

1ShoppingCart's API takes neither tracking nor stock: both stay in Dockline.
"""
from __future__ import annotations

import secrets

from dockline.sandbox.demo import SandboxDemoStore
from dockline.sandbox.oneshoppingcart.server import OneShoppingCartSandbox


class OneShoppingCartDemoStore(SandboxDemoStore):
    platform = "oneshoppingcart"
    label = "sandbox 1ShoppingCart"

    def __init__(self):
        self.sandbox = OneShoppingCartSandbox(merchant_id="118303", api_key=secrets.token_hex(16))

    def add_product(self, sku: str, name: str, price: str, *, tracked: bool) -> None:
        self.sandbox.store.add_product(name, price, sku=sku)

    def place_order(self, items: list[tuple[str, int]], shipping_method: str) -> str:
        store = self.sandbox.store
        return store.place_order([(store.product_by_sku(sku), qty) for sku, qty in items], shipping_method)

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        return None  # the platform cannot receive tracking

    def inventory_level(self, sku: str) -> int | None:
        return None  # the platform cannot receive stock


DEMO_STORE = OneShoppingCartDemoStore
