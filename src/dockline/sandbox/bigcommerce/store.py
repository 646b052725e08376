"""The in-memory BigCommerce store behind the sandbox.

Holds a catalog (products, variants, stock per location), orders with their
products and shipping addresses, and shipments. Every public method takes the
store lock, so the HTTP threads and the test code can use it at the same time.

Orders are kept in the shape of the V2 `order_Resp` schema (minus the resource
links, which the app adds because they depend on the server's address); the
dicts in `orders` are live: tests may read them, the API mutates them.
"""
from __future__ import annotations

import random
import threading
import uuid
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime

ORDER_STATUSES: dict[int, tuple[str, str]] = {
    0: ("Incomplete", "An incomplete order happens when a shopper reached the payment page, but did not complete the transaction."),
    1: ("Pending", "Customer started the checkout process, but did not complete it."),
    2: ("Shipped", "Order has been shipped, but receipt has not been confirmed; seller has used the Ship Items action."),
    3: ("Partially Shipped", "Only some items in the order have been shipped, due to some products being pre-order only or other reasons."),
    4: ("Refunded", "Seller has used the Refund action."),
    5: ("Cancelled", "Seller has cancelled an order, due to a stock inconsistency or other reasons."),
    6: ("Declined", "Seller has marked the order as declined for lack of manual payment, or other reasons."),
    7: ("Awaiting Payment", "Customer has completed checkout process, but payment has yet to be confirmed."),
    8: ("Awaiting Pickup", "Order has been pulled, and is awaiting customer pickup from a seller-specified location."),
    9: ("Awaiting Shipment", "Order has been pulled and packaged, and is awaiting collection from a shipping provider."),
    10: ("Completed", "Client has paid for their digital product and their file(s) are available for download."),
    11: ("Awaiting Fulfillment", "Customer has completed the checkout process and payment has been confirmed."),
    12: ("Manual Verification Required", "Order is on hold while some aspect needs to be manually confirmed."),
    13: ("Disputed", "Customer has initiated a dispute resolution process for the PayPal transaction that paid for the order."),
    14: ("Partially Refunded", "Seller has partially refunded the order."),
}
AWAITING_FULFILLMENT = 11
SHIPPED = 2
PARTIALLY_SHIPPED = 3

SHIPPING_PROVIDERS = frozenset(
    {"", "auspost", "canadapost", "endicia", "usps", "fedex", "ups", "upsready", "upsonline", "shipperhq", "royalmail"}
)

_FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger"]
_LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra"]
_STREETS = ["Main St", "Oak Ave", "Pine Rd", "Maple Dr", "Cedar Ln", "Elm St", "Lake View Blvd", "Hill Ct"]
_CITIES = [
    ("Austin", "Texas", "787"), ("Portland", "Oregon", "972"), ("Denver", "Colorado", "802"),
    ("Columbus", "Ohio", "432"), ("Raleigh", "North Carolina", "276"), ("Madison", "Wisconsin", "537"),
]

TWO_PLACES = Decimal("0.0001")


def money(value: Decimal | str | float | int) -> str:
    """BigCommerce V2 money: a string with four decimals."""
    return str(Decimal(str(value)).quantize(TWO_PLACES))


def rfc2822(dt: datetime) -> str:
    """BigCommerce V2 date: `Tue, 20 Nov 2012 00:00:00 +0000`."""
    return format_datetime(dt.astimezone(UTC))


def iso8601(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Stats:
    """What the sandbox answered: totals, 429s, and counts per route ("GET /v2/orders")."""

    requests: int = 0
    rate_limited: int = 0
    by_path: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    log: deque = field(default_factory=lambda: deque(maxlen=5000))

    def count(self, route: str) -> int:
        """Requests answered for a route, e.g. `count("GET /v2/orders")`."""
        return self.by_path[route]

    def reset(self) -> None:
        self.requests = 0
        self.rate_limited = 0
        self.by_path.clear()
        self.by_status.clear()
        self.log.clear()


class ApiError(Exception):
    """Raised by store operations; the app turns it into a V2 or V3 error body."""

    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


class BigCommerceStore:
    def __init__(self, *, seed: int = 0, tracking_carriers: Iterable[str] | None = None):
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.stats = Stats()
        # Catalog
        self.products: dict[int, dict] = {}
        self.variants: dict[int, dict] = {}
        self.locations: dict[int, dict] = {
            1: {"id": 1, "code": "BC-LOCATION-1", "label": "Default location", "enabled": True}
        }
        self._stock: dict[tuple[str, int], dict[int, int]] = {}  # ("product"|"variant", id) -> {location: qty}
        self.adjustments: list[dict] = []  # one record per absolute-adjustment request
        # Orders
        self.orders: dict[int, dict] = {}
        self._order_products: dict[int, list[dict]] = {}
        self._order_addresses: dict[int, list[dict]] = {}
        self._shipments: dict[int, list[dict]] = {}
        # Webhooks (V3 /hooks) and whoever wants to hear of order events: listener(scope, data)
        self.hooks: dict[int, dict] = {}
        self.listeners: list = []
        self.status_labels: dict[int, str] = {}  # custom labels a merchant gave statuses
        self._next = {"product": 111, "variant": 66, "order": 100, "order_product": 1, "address": 1, "shipment": 1}
        # None = accept any tracking_carrier; tests pass the values of tracking_carrier_values.csv
        self.tracking_carriers: frozenset[str] | None = (
            frozenset(tracking_carriers) if tracking_carriers is not None else None
        )

    def _id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    # ------------------------------------------------------------------ catalog
    def add_product(
        self,
        sku: str,
        name: str = "",
        price: str | Decimal | float = "0",
        inventory_level: int = 0,
        inventory_tracking: str = "product",
        *,
        weight: float = 1.0,
        variants: Sequence[dict] | None = None,
    ) -> int:
        """Add a product; returns its id.

        Without `variants` the product has one base variant carrying its SKU.
        With `variants` (dicts: sku, optional label, price, inventory_level) the
        product has those option variants; use inventory_tracking="variant" to
        track stock per variant.
        """
        if inventory_tracking not in ("none", "product", "variant"):
            raise ValueError("inventory_tracking must be none, product or variant")
        with self.lock:
            if self._find_sku(sku) is not None:
                raise ValueError(f"SKU {sku!r} already exists")
            pid = self._id("product")
            now = _now()
            product = {
                "id": pid,
                "name": name or sku,
                "sku": sku,
                "price": float(Decimal(str(price))),
                "weight": float(weight),
                "inventory_tracking": inventory_tracking,
                "inventory_level": 0,
                "date_created": now,
                "date_modified": now,
                "variant_ids": [],
                "base_variant_id": None,
                "total_sold": 0,
            }
            self.products[pid] = product
            if not variants:
                vid = self._add_variant(product, sku, label=None, price=None)
                product["base_variant_id"] = vid
                self._stock[("product", pid)] = {1: max(0, int(inventory_level))}
            else:
                self._stock[("product", pid)] = {1: max(0, int(inventory_level))}
                for n, spec in enumerate(variants):
                    vid = self._add_variant(
                        product, spec["sku"], label=spec.get("label") or spec["sku"], price=spec.get("price"), n=n
                    )
                    self._stock[("variant", vid)] = {1: max(0, int(spec.get("inventory_level", 0)))}
            return pid

    def add_variant(self, product_id: int, sku: str, label: str = "", price=None, inventory_level: int = 0) -> int:
        """Add an option variant to an existing product; returns the variant id."""
        with self.lock:
            product = self.products[product_id]
            if self._find_sku(sku) is not None:
                raise ValueError(f"SKU {sku!r} already exists")
            if product["base_variant_id"] is not None:
                # the base variant gives way to real option variants
                self.variants.pop(product["base_variant_id"], None)
                product["variant_ids"].remove(product["base_variant_id"])
                product["base_variant_id"] = None
            vid = self._add_variant(product, sku, label=label or sku, price=price, n=len(product["variant_ids"]))
            self._stock[("variant", vid)] = {1: max(0, int(inventory_level))}
            return vid

    def _add_variant(self, product: dict, sku: str, label: str | None, price, n: int = 0) -> int:
        vid = self._id("variant")
        option_values = []
        if label is not None:
            option_values = [{"id": 100 + vid, "label": label, "option_id": 50 + product["id"], "option_display_name": "Option"}]
        self.variants[vid] = {
            "id": vid,
            "product_id": product["id"],
            "sku": sku,
            "sku_id": None if label is None else 1000 + vid,
            "price": float(Decimal(str(price))) if price is not None else None,
            "option_values": option_values,
        }
        product["variant_ids"].append(vid)
        return vid

    def add_location(self, location_id: int, label: str = "", code: str = "") -> None:
        with self.lock:
            self.locations[location_id] = {
                "id": location_id, "code": code or f"LOCATION-{location_id}", "label": label or f"Location {location_id}",
                "enabled": True,
            }

    def _find_sku(self, sku: str) -> tuple[dict, dict | None] | None:
        """(product, variant) for a variant SKU or a product's main SKU; variant None for a main SKU of a product with options."""
        for variant in self.variants.values():
            if variant["sku"] == sku:
                return self.products[variant["product_id"]], variant
        for product in self.products.values():
            if product["sku"] == sku:
                return product, None
        return None

    def product_level(self, product: dict, location_id: int = 1) -> int:
        if product["inventory_tracking"] == "variant":
            return sum(self._stock.get(("variant", v), {}).get(location_id, 0) for v in product["variant_ids"])
        return self._stock[("product", product["id"])].get(location_id, 0)

    def variant_level(self, variant: dict, location_id: int = 1) -> int:
        product = self.products[variant["product_id"]]
        if product["inventory_tracking"] == "variant" and variant["sku_id"] is not None:
            return self._stock.get(("variant", variant["id"]), {}).get(location_id, 0)
        return self.product_level(product, location_id)

    def inventory_level(self, sku: str, location_id: int = 1) -> int:
        """The stock the catalog shows for a SKU (variant level when tracked by variant, else the product's)."""
        with self.lock:
            found = self._find_sku(sku)
            if found is None:
                raise KeyError(sku)
            product, variant = found
            return self.variant_level(variant, location_id) if variant else self.product_level(product, location_id)

    def _take_stock(self, product: dict, variant: dict | None, quantity: int) -> None:
        tracking = product["inventory_tracking"]
        if tracking == "variant" and variant is not None and variant["sku_id"] is not None:
            key = ("variant", variant["id"])
        elif tracking == "product":
            key = ("product", product["id"])
        else:
            return
        levels = self._stock.setdefault(key, {1: 0})
        levels[1] = max(0, levels.get(1, 0) - quantity)

    # ------------------------------------------------------------- inventory API
    def absolute_adjustment(self, items: list, reason: str = "") -> str:
        """Apply PUT /v3/inventory/adjustments/absolute atomically; returns the transaction id."""
        with self.lock:
            if len(items) > 2000:
                raise ApiError(422, f"Too many items in the request: {len(items)}; the limit is 2000.")
            if not items:
                raise ApiError(422, "The field 'items' must contain at least one item.")
            plan: list[tuple[tuple[str, int], int, int]] = []
            problems: list[str] = []
            for item in items:
                try:
                    plan.append(self._plan_adjustment(item))
                except ApiError as exc:
                    problems.append(exc.message)
                    if len(problems) >= 10:
                        break
            if problems:
                raise ApiError(422, "[" + "; ".join(problems) + "]")
            for key, location_id, quantity in plan:
                self._stock.setdefault(key, {})[location_id] = quantity
            transaction_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
            self.adjustments.append({"transaction_id": transaction_id, "reason": reason, "items": len(items)})
            return transaction_id

    def _plan_adjustment(self, item) -> tuple[tuple[str, int], int, int]:
        if not isinstance(item, dict):
            raise ApiError(422, "Each item must be an object")
        idents = [k for k in ("sku", "variant_id", "product_id") if k in item]
        if len(idents) != 1:
            raise ApiError(422, "Each item needs exactly one of sku, variant_id or product_id")
        location_id = item.get("location_id")
        quantity = item.get("quantity")
        if not isinstance(location_id, int) or location_id not in self.locations:
            raise ApiError(422, f"Location {location_id} does not exist")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ApiError(422, f"Invalid quantity {quantity!r}")
        ident = idents[0]
        value = item[ident]
        if ident == "product_id":
            product = self.products.get(value)
            if product is None:
                raise ApiError(422, f"Item with product_id {value} not found")
            variant = None
        elif ident == "variant_id":
            variant = self.variants.get(value)
            if variant is None:
                raise ApiError(422, f"Item with variant_id {value} not found")
            product = self.products[variant["product_id"]]
        else:
            found = self._find_sku(value)
            if found is None:
                raise ApiError(422, f"Item with sku {value} not found")
            product, variant = found
        tracking = product["inventory_tracking"]
        label = f"{ident} {value}"
        if tracking == "none":
            raise ApiError(422, f"Item with {label} has inventory tracking disabled")
        if tracking == "product":
            if ident == "variant_id" and variant["sku_id"] is not None:
                raise ApiError(422, f"Item with {label} is tracked by product, please update stock by product id")
            return ("product", product["id"]), location_id, quantity
        # tracked by variant
        if variant is None or variant["sku_id"] is None:
            raise ApiError(422, f"Item with {label} is tracked by variant, please update stock by variant id")
        return ("variant", variant["id"]), location_id, quantity

    # ------------------------------------------------------------------- orders
    def random_address(self) -> dict:
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, state, zip3 = rng.choice(_CITIES)
        return {
            "first_name": first,
            "last_name": last,
            "company": "",
            "street_1": f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
            "street_2": "",
            "city": city,
            "state": state,
            "zip": f"{zip3}{rng.randint(0, 99):02d}",
            "country": "United States",
            "country_iso2": "US",
            "phone": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "email": f"{first.lower()}.{last.lower()}@example.com",
        }

    def place_order(
        self,
        items: Sequence[tuple],
        shipping_method: str = "Flat Rate",
        address: dict | None = None,
        *,
        customer_message: str = "",
        email: str | None = None,
        status_id: int = AWAITING_FULFILLMENT,
        placed_at: datetime | None = None,
    ) -> int:
        """Place a single-address order; items are (sku, quantity) or (sku, quantity, unit_price)."""
        return self.place_multi_address_order(
            [{"address": address, "shipping_method": shipping_method, "items": items}],
            customer_message=customer_message, email=email, status_id=status_id, placed_at=placed_at,
        )

    def place_multi_address_order(
        self,
        destinations: Sequence[dict],
        *,
        customer_message: str = "",
        email: str | None = None,
        status_id: int = AWAITING_FULFILLMENT,
        placed_at: datetime | None = None,
    ) -> int:
        """Place an order shipping to several addresses.

        destinations: dicts with `items` [(sku, qty[, price])], optional `address`
        (BigCommerce address fields, merged over a random US address) and
        `shipping_method`. Unknown SKUs become custom products (product_id 0).
        """
        if not destinations:
            raise ValueError("an order needs at least one destination")
        with self.lock:
            when = (placed_at or _now()).astimezone(UTC).replace(microsecond=0)
            order_id = self._id("order")
            billing = self.random_address()
            if email:
                billing["email"] = email
            addresses, products = [], []
            subtotal = Decimal("0")
            shipping_total = Decimal("0")
            for dest in destinations:
                address_id = self._id("address")
                addr = self.random_address()
                addr.update(dest.get("address") or {})
                if not dest.get("items"):
                    raise ValueError("each destination needs items")
                dest_count = 0
                for entry in dest["items"]:
                    sku, qty = entry[0], int(entry[1])
                    if qty <= 0:
                        raise ValueError("quantities must be positive")
                    products.append(self._order_product(order_id, address_id, sku, qty, entry[2] if len(entry) > 2 else None))
                    subtotal += Decimal(products[-1]["total_ex_tax"])
                    dest_count += qty
                shipping_cost = Decimal("5.00")
                shipping_total += shipping_cost
                addresses.append({
                    "id": address_id,
                    "order_id": order_id,
                    **{k: addr.get(k, "") for k in (
                        "first_name", "last_name", "company", "street_1", "street_2", "city", "state", "zip",
                        "country", "country_iso2", "phone", "email")},
                    "items_total": dest_count,
                    "items_shipped": 0,
                    "shipping_method": dest.get("shipping_method", "Flat Rate"),
                    "base_cost": money(shipping_cost),
                    "cost_ex_tax": money(shipping_cost),
                    "cost_inc_tax": money(shipping_cost),
                    "cost_tax": money(0),
                    "cost_tax_class_id": 2,
                    "base_handling_cost": money(0),
                    "handling_cost_ex_tax": money(0),
                    "handling_cost_inc_tax": money(0),
                    "handling_cost_tax": money(0),
                    "handling_cost_tax_class_id": 2,
                    "shipping_zone_id": 1,
                    "shipping_zone_name": "United States",
                    "form_fields": [],
                })
            total = subtotal + shipping_total
            items_total = sum(p["quantity"] for p in products)
            status_name = ORDER_STATUSES[status_id][0]
            order = {
                "id": order_id,
                "customer_id": 0,
                "date_created": rfc2822(when),
                "date_modified": rfc2822(when),
                "date_shipped": "",
                "status_id": status_id,
                "status": status_name,
                "subtotal_ex_tax": money(subtotal),
                "subtotal_inc_tax": money(subtotal),
                "subtotal_tax": money(0),
                "base_shipping_cost": money(shipping_total),
                "shipping_cost_ex_tax": money(shipping_total),
                "shipping_cost_inc_tax": money(shipping_total),
                "shipping_cost_tax": money(0),
                "shipping_cost_tax_class_id": 2,
                "base_handling_cost": money(0),
                "handling_cost_ex_tax": money(0),
                "handling_cost_inc_tax": money(0),
                "handling_cost_tax": money(0),
                "handling_cost_tax_class_id": 2,
                "base_wrapping_cost": money(0),
                "wrapping_cost_ex_tax": money(0),
                "wrapping_cost_inc_tax": money(0),
                "wrapping_cost_tax": money(0),
                "wrapping_cost_tax_class_id": 3,
                "total_ex_tax": money(total),
                "total_inc_tax": money(total),
                "total_tax": money(0),
                "items_total": items_total,
                "items_shipped": 0,
                "payment_method": "Test Payment Gateway",
                "payment_provider_id": "",
                "payment_status": "captured",
                "refunded_amount": money(0),
                "order_is_digital": False,
                "store_credit_amount": money(0),
                "gift_certificate_amount": money(0),
                "ip_address": "127.0.0.1",
                "ip_address_v6": "",
                "geoip_country": "United States",
                "geoip_country_iso2": "US",
                "currency_id": 1,
                "currency_code": "USD",
                "currency_exchange_rate": "1.0000000000",
                "default_currency_id": 1,
                "default_currency_code": "USD",
                "store_default_currency_code": "USD",
                "store_default_to_transactional_exchange_rate": "1.0000000000",
                "staff_notes": "",
                "customer_message": customer_message,
                "discount_amount": money(0),
                "coupon_discount": money(0),
                "shipping_address_count": len(addresses),
                "is_deleted": False,
                "ebay_order_id": "0",
                "cart_id": str(uuid.UUID(int=self.rng.getrandbits(128))),
                "billing_address": {**billing, "form_fields": []},
                "is_email_opt_in": False,
                "order_source": "www",
                "channel_id": 1,
                "external_source": "",
                "external_id": None,
                "external_merchant_id": "",
                "tax_provider_id": "BasicTaxProvider",
                "customer_locale": "en",
                "external_order_id": "",
                "is_tax_inclusive_pricing": False,
            }
            self.orders[order_id] = order
            self._order_products[order_id] = products
            self._order_addresses[order_id] = addresses
            self._shipments[order_id] = []
            self._emit("store/order/created", {"type": "order", "id": order_id})
            return order_id

    def _order_product(self, order_id: int, address_id: int, sku: str, qty: int, price) -> dict:
        found = self._find_sku(sku)
        if found is not None:
            product, variant = found
            self._take_stock(product, variant, qty)
            product["total_sold"] += qty
            unit = Decimal(str(price if price is not None else (variant or {}).get("price") or product["price"]))
            name = product["name"]
            product_id, variant_id = product["id"], (variant or {}).get("id", 0)
            options = []
            if variant and variant["option_values"]:
                ov = variant["option_values"][0]
                options = [{
                    "id": ov["id"], "option_id": ov["option_id"], "order_product_id": 0, "product_option_id": ov["option_id"],
                    "display_name": ov["option_display_name"], "display_value": ov["label"], "value": str(ov["id"]),
                    "type": "Multiple choice", "name": ov["option_display_name"], "display_style": "Rectangle",
                }]
            weight = product["weight"]
        else:
            unit = Decimal(str(price if price is not None else "0"))
            name, product_id, variant_id, options, weight = sku, 0, 0, [], 0
        line_id = self._id("order_product")
        for opt in options:
            opt["order_product_id"] = line_id
        total = unit * qty
        return {
            "id": line_id,
            "order_id": order_id,
            "product_id": product_id,
            "variant_id": variant_id,
            "order_address_id": address_id,
            "name": name,
            "name_customer": name,
            "name_merchant": name,
            "sku": sku,
            "upc": "",
            "type": "physical",
            "base_price": money(unit),
            "price_ex_tax": money(unit),
            "price_inc_tax": money(unit),
            "price_tax": money(0),
            "base_total": money(total),
            "total_ex_tax": money(total),
            "total_inc_tax": money(total),
            "total_tax": money(0),
            "discounted_total_inc_tax": money(total),
            "weight": weight,
            "width": money(0),
            "height": money(0),
            "depth": money(0),
            "quantity": qty,
            "base_cost_price": money(0),
            "cost_price_inc_tax": money(0),
            "cost_price_ex_tax": money(0),
            "cost_price_tax": money(0),
            "is_refunded": False,
            "quantity_refunded": 0,
            "refund_amount": money(0),
            "return_id": 0,
            "wrapping_id": 0,
            "wrapping_name": "",
            "base_wrapping_cost": money(0),
            "wrapping_cost_ex_tax": money(0),
            "wrapping_cost_inc_tax": money(0),
            "wrapping_cost_tax": money(0),
            "wrapping_message": "",
            "quantity_shipped": 0,
            "event_name": None,
            "event_date": None,
            "fixed_shipping_cost": money(0),
            "ebay_item_id": "",
            "ebay_transaction_id": "",
            "option_set_id": None,
            "parent_order_product_id": None,
            "is_bundled_product": False,
            "bin_picking_number": "",
            "external_id": None,
            "brand": "",
            "applied_discounts": [],
            "product_options": options,
            "configurable_fields": [],
            "gift_certificate_id": None,
        }

    def order(self, order_id: int) -> dict:
        with self.lock:
            try:
                return self.orders[order_id]
            except KeyError:
                raise ApiError(404, "The requested resource was not found.") from None

    def order_products(self, order_id: int) -> list[dict]:
        with self.lock:
            self.order(order_id)
            return list(self._order_products[order_id])

    def order_addresses(self, order_id: int) -> list[dict]:
        with self.lock:
            self.order(order_id)
            return list(self._order_addresses[order_id])

    def shipments_for(self, order_id: int) -> list[dict]:
        """The shipments of an order, oldest first (the dicts the API answers)."""
        with self.lock:
            return list(self._shipments.get(order_id, []))

    def _change_status(self, order: dict, status_id: int) -> None:
        previous = order["status_id"]
        order["status_id"] = status_id
        order["status"] = ORDER_STATUSES[status_id][0]
        if previous != status_id:
            self._emit("store/order/statusUpdated", {
                "type": "order", "id": order["id"],
                "status": {"previous_status_id": previous, "new_status_id": status_id},
            })

    def _emit(self, scope: str, data: dict) -> None:
        for listener in list(self.listeners):
            listener(scope, data)

    def set_date_modified(self, order_id: int, when: datetime) -> None:
        with self.lock:
            self.orders[order_id]["date_modified"] = rfc2822(when)

    def change_shipping_address(self, order_id: int, fields: dict, *, when: datetime | None = None) -> None:
        """The merchant edits the order's (first) ship-to address in the control panel."""
        with self.lock:
            order = self.order(order_id)
            self._order_addresses[order_id][0].update(fields)
            order["date_modified"] = rfc2822(when or _now())

    def set_status(self, order_id: int, status_id: int, *, when: datetime | None = None) -> None:
        with self.lock:
            if status_id not in ORDER_STATUSES:
                raise ApiError(400, f"The field 'status_id' is invalid: {status_id}")
            order = self.order(order_id)
            self._change_status(order, status_id)
            order["date_modified"] = rfc2822(when or _now())

    def update_order(self, order_id: int, body: dict) -> dict:
        """PUT /v2/orders/{id}: status_id, staff_notes, customer_message; other fields are ignored."""
        with self.lock:
            order = self.order(order_id)
            if "status_id" in body:
                status_id = body["status_id"]
                if not isinstance(status_id, int) or isinstance(status_id, bool) or status_id not in ORDER_STATUSES:
                    raise ApiError(400, "The field 'status_id' is invalid.")
                self._change_status(order, status_id)
            for key in ("staff_notes", "customer_message"):
                if key in body:
                    if not isinstance(body[key], str):
                        raise ApiError(400, f"The field '{key}' is invalid.")
                    order[key] = body[key]
            order["date_modified"] = rfc2822(_now())
            return order

    def create_shipment(self, order_id: int, body: dict) -> dict:
        """POST /v2/orders/{id}/shipments, with BigCommerce's checks; moves the order to (Partially) Shipped."""
        with self.lock:
            order = self.order(order_id)
            if not isinstance(body, dict):
                raise ApiError(400, "The request body is invalid.")
            address_id = body.get("order_address_id")
            addresses = {a["id"]: a for a in self._order_addresses[order_id]}
            if "order_address_id" not in body:
                raise ApiError(400, "The required field 'order_address_id' was not supplied.")
            if not isinstance(address_id, int) or address_id not in addresses:
                raise ApiError(400, "The field 'order_address_id' is invalid.")
            items = body.get("items")
            if not isinstance(items, list) or not items:
                raise ApiError(400, "The required field 'items' was not supplied.")
            for key, limit in (("tracking_number", 50), ("tracking_link", 500), ("comments", 65535)):  # spec maxLength
                if key in body and (not isinstance(body[key], str) or len(body[key]) > limit):
                    raise ApiError(400, f"The field '{key}' is invalid.")
            provider = body.get("shipping_provider", "")
            if not isinstance(provider, str) or (provider not in SHIPPING_PROVIDERS and not provider.startswith("carrier_")):
                raise ApiError(400, f"The field 'shipping_provider' is invalid: {provider!r}.")
            carrier = body.get("tracking_carrier", "")
            if not isinstance(carrier, str) or (
                carrier and self.tracking_carriers is not None and carrier not in self.tracking_carriers
            ):
                raise ApiError(400, f"The field 'tracking_carrier' is invalid: {carrier!r}.")
            lines = {p["id"]: p for p in self._order_products[order_id]}
            wanted: Counter = Counter()
            for item in items:
                if not isinstance(item, dict):
                    raise ApiError(400, "The field 'items' is invalid.")
                pid, qty = item.get("order_product_id"), item.get("quantity")
                if not isinstance(pid, int) or pid not in lines:
                    raise ApiError(400, f"The order product {pid!r} does not belong to order {order_id}.")
                if lines[pid]["order_address_id"] != address_id:
                    raise ApiError(400, f"The order product {pid} does not ship to address {address_id}.")
                if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
                    raise ApiError(400, f"The quantity for order product {pid} is invalid.")
                wanted[pid] += qty
            for pid, qty in wanted.items():
                remaining = lines[pid]["quantity"] - lines[pid]["quantity_shipped"]
                if qty > remaining:
                    raise ApiError(
                        400,
                        f"The quantity specified for order product {pid} is greater than the quantity "
                        f"remaining to ship ({remaining}).",
                    )
            now = _now()
            for pid, qty in wanted.items():
                lines[pid]["quantity_shipped"] += qty
            address = addresses[address_id]
            address["items_shipped"] += sum(wanted.values())
            order["items_shipped"] = sum(p["quantity_shipped"] for p in lines.values())
            fully = all(p["quantity_shipped"] >= p["quantity"] for p in lines.values())
            self._change_status(order, SHIPPED if fully else PARTIALLY_SHIPPED)
            order["date_modified"] = rfc2822(now)
            order["date_shipped"] = rfc2822(now)
            billing = {k: v for k, v in order["billing_address"].items() if k != "form_fields"}
            shipment = {
                "id": self._id("shipment"),
                "order_id": order_id,
                "customer_id": order["customer_id"],
                "order_address_id": address_id,
                "date_created": rfc2822(now),
                "tracking_number": body.get("tracking_number", ""),
                "merchant_shipping_cost": money(body.get("merchant_shipping_cost") or 0),
                "shipping_method": str(body.get("shipping_method", "")),
                "shipping_provider": provider,
                "tracking_carrier": carrier,
                "tracking_link": body.get("tracking_link", ""),
                "comments": str(body.get("comments", "")),
                "billing_address": billing,
                "shipping_address": {k: address[k] for k in (
                    "first_name", "last_name", "company", "street_1", "street_2", "city", "state", "zip",
                    "country", "country_iso2", "phone", "email")},
                "items": [
                    {"order_product_id": pid, "product_id": lines[pid]["product_id"], "quantity": qty}
                    for pid, qty in wanted.items()
                ],
                "shipping_provider_display_name": provider.upper() if provider else "",
                "generated_tracking_link": "",
            }
            self._shipments[order_id].append(shipment)
            return shipment
