"""The state of a sandbox UltraCart account: items, orders, each distribution center's queue,
tracking numbers and inventory received. Thread-safe."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
STREETS = ["1 Main St", "22 Oak Ave", "305 Pine Rd", "48 Elm Ct", "7 Cedar Ln"]
CITIES = [("Portland", "OR", "97201"), ("Austin", "TX", "73301"), ("Denver", "CO", "80202")]


@dataclass
class UltraCartStore:
    merchant_id: str = "DEMO"
    distribution_centers: tuple[str, ...] = ("DFLT",)
    seed: int = 0
    items: dict[str, dict] = field(default_factory=dict)
    orders: dict[str, dict] = field(default_factory=dict)
    queues: dict[str, list[str]] = field(default_factory=dict)  # dc -> unacknowledged order ids, oldest first
    shipments: dict[str, list[list[str]]] = field(default_factory=dict)  # order id -> tracking lists posted
    inventory: dict[tuple[str, str], int] = field(default_factory=dict)  # (dc, item id) -> quantity
    ignored_inventory: list[str] = field(default_factory=list)  # item ids pushed that this account does not sell
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request
    bodies: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, JSON body) of every write

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(self.seed)
        self._seq = 1000
        self._clock = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        for dc in self.distribution_centers:
            self.queues.setdefault(dc, [])

    def add_item(self, sku: str, description: str = "", cost: str = "0") -> None:
        with self.lock:
            self.items[sku] = {"description": description or sku, "cost": Decimal(cost)}

    def place_order(self, items: list[tuple[str, int]], shipping_method: str = "Ground",
                    dc: str | None = None) -> str:
        """An order placed by a shopper, queued for the distribution center; returns its order id."""
        dc = dc or self.distribution_centers[0]
        with self.lock:
            self._seq += 1
            self._clock += timedelta(seconds=1)
            order_id = f"{self.merchant_id}-{self._seq:010d}"
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            city, state, postal = self.rng.choice(CITIES)
            email = f"{first.lower()}.{last.lower()}@example.com"
            self.orders[order_id] = {
                "order_id": order_id,
                "merchant_id": self.merchant_id,
                "creation_dts": self._clock.isoformat(),
                "current_stage": "Shipping Department",
                "billing": {"first_name": first, "last_name": last, "email": email, "day_phone": "555-0100"},
                "shipping": {
                    "first_name": first, "last_name": last, "company": "", "address1": self.rng.choice(STREETS),
                    "address2": "", "city": city, "state_region": state, "postal_code": postal,
                    "country_code": "US", "day_phone": "555-0100", "shipping_method": shipping_method,
                    "special_instructions": "",
                },
                "items": [
                    {
                        "item_index": n,
                        "merchant_item_id": sku,
                        "description": self.items.get(sku, {}).get("description", sku),
                        "quantity": float(qty),
                        "cost": {"value": float(self.items.get(sku, {}).get("cost", 0)), "currency_code": "USD"},
                        "distribution_center_code": dc,
                        "kit": False,
                        "kit_component": False,
                    }
                    for n, (sku, qty) in enumerate(items, start=1)
                ],
            }
            self.queues[dc].append(order_id)
            return order_id

    def queued(self, dc: str, limit: int = 100) -> list[dict]:
        with self.lock:
            return [self.orders[oid] for oid in self.queues[dc][:limit]]

    def acknowledge(self, dc: str, order_ids: list[str]) -> None:
        with self.lock:
            gone = set(order_ids)
            self.queues[dc] = [oid for oid in self.queues[dc] if oid not in gone]

    def reject(self, order_id: str, dc: str | None = None) -> None:
        """The merchant rejects (cancels) an order: its current_stage becomes "Rejected" (one of the SDK's
        Order.current_stage values) and it is queued again for the distribution center, so the change
        reaches the fulfillment side."""
        with self.lock:
            order = self.orders[order_id]
            order["current_stage"] = "Rejected"
            queue = self.queues[dc or next(iter(self.queues))]
            if order_id not in queue:
                queue.append(order_id)

    def ship(self, order_id: str, tracking_numbers: list[str]) -> None:
        with self.lock:
            self.shipments.setdefault(order_id, []).append(list(tracking_numbers))

    def tracking_numbers(self, order_id: str) -> list[str]:
        with self.lock:
            return [t for posted in self.shipments.get(order_id, []) for t in posted]

    def set_inventory(self, dc: str, item_id: str, quantity: int) -> None:
        with self.lock:
            if item_id in self.items:
                self.inventory[(dc, item_id)] = quantity
            else:
                self.ignored_inventory.append(item_id)

    def inventory_level(self, item_id: str, dc: str | None = None) -> int | None:
        with self.lock:
            return self.inventory.get((dc or self.distribution_centers[0], item_id))
