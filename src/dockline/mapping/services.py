"""Resolve store SKUs and shipping methods to what the warehouse understands, and edit those mappings."""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from dockline.connections.models import Connection
from dockline.connections.services import ActionRefused
from dockline.inventory.models import StockLevel
from dockline.mapping.models import Listing, ListingComponent, ShippingRule


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
        warehouses = [w.pk for w in connection.warehouses()]
        skus = set(StockLevel.objects.filter(warehouse__in=warehouses).values_list("sku", flat=True))
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


# ---------------------------------------------------------------- editing mappings

def parse_components(text: str) -> list[tuple[str, int]]:
    """'MUG-1, SOCK-2 x2' -> [('MUG-1', 1), ('SOCK-2', 2)]: what the warehouse picks for one unit."""
    parts = []
    for chunk in (c.strip() for c in text.replace(";", ",").split(",")):
        if not chunk:
            continue
        match = re.fullmatch(r"(\S+)(?:\s+[x×*]\s*(\d+))?", chunk)
        if not match or (match.group(2) and int(match.group(2)) < 1):
            raise ValueError(f"'{chunk}' is not 'WAREHOUSE-SKU' or 'WAREHOUSE-SKU x2'")
        parts.append((match.group(1), int(match.group(2) or 1)))
    if not parts:
        raise ValueError("Give at least one warehouse SKU")
    if len({s for s, _ in parts}) != len(parts):
        raise ValueError("A warehouse SKU appears twice; give it once with its quantity")
    return parts


@transaction.atomic
def save_listing(connection: Connection, store_sku: str, components: list[tuple[str, int]]) -> Listing:
    """Create or replace the listing for a store SKU."""
    store_sku = store_sku.strip()
    if not store_sku:
        raise ValueError("The store SKU is empty")
    listing, _ = Listing.objects.get_or_create(connection=connection, store_sku=store_sku)
    listing.components.all().delete()
    ListingComponent.objects.bulk_create(
        ListingComponent(listing=listing, warehouse_sku=sku, quantity=qty) for sku, qty in components
    )
    return listing


def set_listing_buffer(listing: Listing, amount: int | None, unit: str) -> Listing:
    """Give a listing its own stock buffer (`amount` in `unit`, a BufferUnit), or None: the connection's."""
    listing.stock_buffer = amount
    listing.stock_buffer_unit = unit
    listing.save(update_fields=["stock_buffer", "stock_buffer_unit"])
    return listing


def save_shipping_rule(connection: Connection, store_method: str, carrier: str, service: str) -> ShippingRule:
    """Create or replace the rule for a store shipping method (matched ignoring case and spacing)."""
    if not carrier.strip():
        raise ValueError("The carrier code is empty")
    for rule in ShippingRule.objects.filter(connection=connection):
        if _norm(rule.store_method) == _norm(store_method):
            rule.carrier, rule.service = carrier.strip(), service.strip()
            rule.save(update_fields=["carrier", "service"])
            return rule
    return ShippingRule.objects.create(connection=connection, store_method=store_method.strip(),
                                       carrier=carrier.strip(), service=service.strip())


def delete_listing(connection: Connection, listing: Listing) -> str:
    """Delete one of the connection's listings; returns its store SKU. Orders already queued keep their mapping."""
    if listing.connection_id != connection.pk:
        raise ActionRefused(f"Listing {listing.store_sku} belongs to another connection; open that connection's "
                            "listings to delete it.")
    sku = listing.store_sku
    listing.delete()
    return sku


def delete_shipping_rule(connection: Connection, rule: ShippingRule) -> str:
    """Delete one of the connection's shipping rules; returns the store method it mapped."""
    if rule.connection_id != connection.pk:
        raise ActionRefused(f"The shipping rule for '{rule.store_method}' belongs to another connection; open that "
                            "connection's shipping rules to delete it.")
    method = rule.store_method
    rule.delete()
    return method


def unlisted_warehouse_skus(connection: Connection, limit: int = 20) -> list[str]:
    """The warehouse's SKUs (from its stock reports) that no listing of this connection picks yet: the likely
    answers to "map it to what?" for a new store SKU. Sorted, at most `limit`."""
    used = ListingComponent.objects.filter(listing__connection=connection).values("warehouse_sku")
    listed = Listing.objects.filter(connection=connection).values("store_sku")
    return list(StockLevel.objects.filter(warehouse=connection.warehouse).exclude(sku__in=used)
                .exclude(sku__in=listed).order_by("sku").values_list("sku", flat=True).distinct()[:limit])
