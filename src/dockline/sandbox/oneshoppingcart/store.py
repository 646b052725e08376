"""The state of a sandbox 1ShoppingCart account: products, clients and orders. Thread-safe."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

PEOPLE = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Barbara", "Liskov"), ("Ken", "Thompson")]
PLACES = [("1 Shop St.", "Barrie", "Ontario", "L4M 1A1", "Canada"),
          ("22 Oak Ave", "Portland", "Oregon", "97201", "United States"),
          ("305 Pine Rd", "Austin", "Texas", "73301", "United States")]


@dataclass
class OneShoppingCartStore:
    merchant_id: str = "118303"
    seed: int = 0
    products: dict[str, dict] = field(default_factory=dict)  # product id -> {name, sku, price}
    clients: dict[str, dict] = field(default_factory=dict)
    orders: dict[str, dict] = field(default_factory=dict)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, path, query) of every call

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(self.seed)
        self._next_id = 173459000
        self.clock = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def _id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def add_product(self, name: str, price: str, sku: str = "") -> str:
        """A product; `sku` may be empty, as 1ShoppingCart allows. Returns the product id."""
        with self.lock:
            pid = self._id()
            self.products[pid] = {"name": name, "sku": sku, "price": Decimal(price)}
            return pid

    def product_by_sku(self, sku: str) -> str:
        with self.lock:
            return next(pid for pid, p in self.products.items() if p["sku"] == sku)

    def place_order(self, items: list[tuple[str, int]], shipping_method: str = "Flat Rate",
                    status: str = "Accepted", placed_at: datetime | None = None) -> str:
        """An order for (product id, quantity) pairs by a new client; returns the order id."""
        with self.lock:
            first, last = self.rng.choice(PEOPLE)
            street, city, state, zip_code, country = self.rng.choice(PLACES)
            client_id = self._id()
            self.clients[client_id] = {
                "FirstName": first, "LastName": last, "Email": f"{first.lower()}.{last.lower()}@example.com",
                "Phone": "705-555-0199", "Address1": street, "City": city, "StateName": state, "Zip": zip_code,
                "CountryName": country,
            }
            self.clock += timedelta(seconds=1)
            order_id = self._id()
            self.orders[order_id] = {
                "Id": order_id, "ClientId": client_id, "OrderDate": placed_at or self.clock,
                "OrderStatusType": status, "Comments": "", "ShippingMethodName": shipping_method,
                "ship_to": {"Name": f"{first} {last}", "Address1": street, "Address2": "", "City": city,
                            "StateName": state, "Zip": zip_code, "CountryName": country},
                "lines": [(pid, qty) for pid, qty in items],
            }
            return order_id
