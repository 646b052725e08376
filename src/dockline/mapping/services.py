"""Resolve store SKUs and shipping methods to what the warehouse understands."""
from __future__ import annotations

from dataclasses import dataclass

from dockline.connections.models import Connection
from dockline.inventory.models import StockLevel
from dockline.mapping.models import Listing, ShippingRule


@dataclass
class Mapper:
    """Listings, shipping rules and known warehouse SKUs of one connection, loaded once per run."""

    listings: dict[str, list[dict]]
    rules: dict[str, tuple[str, str]]
    warehouse_skus: set[str]

    @classmethod
    def for_connection(cls, connection: Connection) -> "Mapper":
        listings: dict[str, list[dict]] = {}
        for listing in Listing.objects.filter(connection=connection).prefetch_related("components"):
            listings[listing.store_sku] = [
                {"sku": c.warehouse_sku, "quantity": c.quantity} for c in listing.components.all()
            ]
        rules = {
            _norm(r.store_method): (r.carrier, r.service)
            for r in ShippingRule.objects.filter(connection=connection)
        }
        skus = set(StockLevel.objects.filter(warehouse=connection.warehouse_id).values_list("sku", flat=True))
        return cls(listings, rules, skus)

    def components(self, store_sku: str) -> list[dict] | None:
        """Warehouse SKUs (with quantity per unit) for a store SKU, or None when it cannot be mapped."""
        if store_sku in self.listings:
            return self.listings[store_sku] or None
        if store_sku in self.warehouse_skus:
            return [{"sku": store_sku, "quantity": 1}]
        return None

    def shipping(self, method: str) -> tuple[str, str] | None:
        """(carrier, service) for a store's shipping method text; a rule for '*' catches every method."""
        return self.rules.get(_norm(method)) or self.rules.get("*")


def _norm(method: str) -> str:
    return " ".join((method or "").split()).casefold()
