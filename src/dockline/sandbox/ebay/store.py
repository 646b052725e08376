"""The state of a sandbox eBay seller account: its application's tokens, orders and their shipping
fulfillments, inventory items, and listings made outside the Inventory API. Thread-safe.

Orders have the shape of the Fulfillment API's `Order` (sell_fulfillment_v1_oas3.json); the tests
validate every answer against that contract.
"""
from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SCOPE_FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_INVENTORY = "https://api.ebay.com/oauth/api_scope/sell.inventory"
ACCESS_TOKEN_LIFE = 7200
REFRESH_TOKEN_LIFE = 47_304_000  # about 18 months, what eBay says in refresh_token_expires_in
NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Donald Knuth", "Frances Allen"]
PLACES = [("1 Main St", "Portland", "OR", "97201"), ("22 Oak Ave", "Austin", "TX", "73301"),
          ("305 Pine Rd", "Denver", "CO", "80202")]


def ebay_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass
class EbayStore:
    client_id: str = "Dockline-Sandbox-PRD-0123456789"
    client_secret: str = field(default_factory=lambda: "PRD-" + secrets.token_hex(12))
    seller: str = "acme_outfitters"
    seed: int = 0
    clock: Callable[[], float] = time.time
    orders: dict[str, dict] = field(default_factory=dict)
    fulfillments: dict[str, list[dict]] = field(default_factory=dict)  # order id -> fulfillments made
    inventory: dict[str, dict] = field(default_factory=dict)  # sku -> {"title", "quantity", "auction"}
    legacy: dict[str, int] = field(default_factory=dict)  # sku -> quantity of listings made outside the Inventory API
    refresh_tokens: dict[str, dict] = field(default_factory=dict)  # token -> {"scopes", "expires_at"}
    access_tokens: dict[str, dict] = field(default_factory=dict)
    ru_names: dict[str, str] = field(default_factory=dict)  # RuName -> its "auth accepted" URL
    codes: dict[str, dict] = field(default_factory=dict)  # consent code -> {"ru_name", "scopes", "expires_at"}
    log: list[tuple[str, str, str, int]] = field(default_factory=list)  # (method, path, query, status) of each request

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(self.seed)
        self._seq = 10_000

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # ---------------------------------------------------------------- tokens
    def grant(self, scopes=(SCOPE_FULFILLMENT, SCOPE_INVENTORY), life: float = REFRESH_TOKEN_LIFE) -> str:
        """A refresh token, as the merchant's consent on eBay's page would give Dockline."""
        token = "v^1.1#i^1#r^1#" + secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens[token] = {"scopes": set(scopes), "expires_at": self.clock() + life}
        return token

    def consent(self, ru_name: str, scopes: set[str]) -> str:
        """The merchant agreed on eBay's page: a code, good for five minutes and once."""
        code = "v^1.1#i^1#f^0#" + secrets.token_urlsafe(18)
        with self.lock:
            self.codes[code] = {"ru_name": ru_name, "scopes": set(scopes), "expires_at": self.clock() + 299}
        return code

    def redeem(self, code: str, ru_name: str) -> str | None:
        """The refresh token for a consent code (once), or None."""
        with self.lock:
            got = self.codes.pop(code, None)
        if not got or got["ru_name"] != ru_name or got["expires_at"] <= self.clock():
            return None
        return self.grant(got["scopes"])

    def issue(self, refresh_token: str, scopes: set[str]) -> tuple[str | None, str]:
        """(access token, "") or (None, the OAuth error code)."""
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if not grant or grant["expires_at"] <= self.clock():
                return None, "invalid_grant"
            if not scopes <= grant["scopes"]:
                return None, "invalid_scope"
            token = "v^1.1#i^1#p^3#" + secrets.token_urlsafe(24)
            self.access_tokens[token] = {"scopes": set(scopes), "expires_at": self.clock() + ACCESS_TOKEN_LIFE}
            return token, ""

    def scopes_of(self, access_token: str) -> set[str] | None:
        with self.lock:
            got = self.access_tokens.get(access_token)
            return set(got["scopes"]) if got and got["expires_at"] > self.clock() else None

    # ---------------------------------------------------------------- catalog
    def add_item(self, sku: str, title: str = "", quantity: int = 0, *, auction: int = 0) -> None:
        """An inventory item with a published fixed-price offer; `auction`: units allocated to auctions."""
        with self.lock:
            self.inventory[sku] = {"title": title or sku, "quantity": quantity, "auction": auction}

    def add_legacy_listing(self, sku: str, quantity: int = 0) -> None:
        """A listing made in Seller Hub or with the Trading API: the Inventory API does not know it."""
        with self.lock:
            self.legacy[sku] = quantity

    def inventory_level(self, sku: str) -> int | None:
        with self.lock:
            item = self.inventory.get(sku)
            return None if item is None else item["quantity"]

    # ---------------------------------------------------------------- orders
    def place_order(self, items: list[tuple[str, int]], service: str = "USPSPriority", *,
                    cancel_state: str = "NONE_REQUESTED") -> str:
        """A paid order from a buyer; items are (sku, quantity), an empty sku a listing without one."""
        with self.lock:
            self._seq += 1
            order_id = f"{self.rng.randint(10, 27)}-{self._seq:05d}-{self.rng.randint(10000, 99999)}"
            now = self.now()
            street, city, state, postal = self.rng.choice(PLACES)
            name = self.rng.choice(NAMES)
            ship_by = now + timedelta(days=2)
            lines = []
            for n, (sku, qty) in enumerate(items, start=1):
                title = (self.inventory.get(sku) or {}).get("title") or sku or "Vintage lantern (no SKU)"
                line = {
                    "lineItemId": f"{self._seq}{n:03d}0", "legacyItemId": f"1{self._seq:07d}{n:03d}",
                    "title": title, "quantity": qty, "soldFormat": "FIXED_PRICE",
                    "lineItemCost": {"value": f"{19 * qty:.2f}", "currency": "USD"},
                    "lineItemFulfillmentStatus": "NOT_STARTED",
                    "listingMarketplaceId": "EBAY_US", "purchaseMarketplaceId": "EBAY_US",
                    "lineItemFulfillmentInstructions": {
                        "shipByDate": ebay_time(ship_by), "guaranteedDelivery": False,
                        "minEstimatedDeliveryDate": ebay_time(now + timedelta(days=4)),
                        "maxEstimatedDeliveryDate": ebay_time(now + timedelta(days=6)),
                    },
                }
                if sku:
                    line["sku"] = sku
                lines.append(line)
            self.orders[order_id] = {
                "orderId": order_id, "legacyOrderId": f"1{self._seq:07d}-{self._seq}0",
                "creationDate": ebay_time(now), "lastModifiedDate": ebay_time(now),
                "orderFulfillmentStatus": "NOT_STARTED", "orderPaymentStatus": "PAID", "sellerId": self.seller,
                "salesRecordReference": str(self._seq),
                "buyer": {"username": name.lower().replace(" ", "_")},
                "cancelStatus": {"cancelState": cancel_state, "cancelRequests": []},
                "fulfillmentHrefs": [],
                "fulfillmentStartInstructions": [{
                    "fulfillmentInstructionsType": "SHIP_TO", "ebaySupportedFulfillment": False,
                    "minEstimatedDeliveryDate": ebay_time(now + timedelta(days=4)),
                    "maxEstimatedDeliveryDate": ebay_time(now + timedelta(days=6)),
                    "shippingStep": {
                        "shippingCarrierCode": "USPS", "shippingServiceCode": service,
                        "shipTo": {"fullName": name, "email": f"{name.split()[0].lower()}@members.ebay.com",
                                   "primaryPhone": {"phoneNumber": "5035550100"},
                                   "contactAddress": {"addressLine1": street, "city": city, "stateOrProvince": state,
                                                      "postalCode": postal, "countryCode": "US"}},
                    },
                }],
                "lineItems": lines,
                "pricingSummary": {"total": {"value": f"{sum(19 * q for _, q in items):.2f}", "currency": "USD"}},
            }
            self.fulfillments[order_id] = []
            return order_id

    def touch(self, order_id: str, **changes) -> None:
        """Change an order as eBay would (e.g. cancelStatus), which moves its lastModifiedDate."""
        with self.lock:
            self.orders[order_id].update(changes)
            self.orders[order_id]["lastModifiedDate"] = ebay_time(self.now())

    def fulfil(self, order_id: str, body: dict) -> str:
        """Record a shipping fulfillment; returns its id (eBay uses the tracking number when there is one)."""
        with self.lock:
            order = self.orders[order_id]
            fulfillment_id = body.get("trackingNumber") or f"F{self._seq}{len(self.fulfillments[order_id]) + 1:03d}"
            self.fulfillments[order_id].append({
                "fulfillmentId": fulfillment_id, "shipmentTrackingNumber": body.get("trackingNumber", ""),
                "shippingCarrierCode": body.get("shippingCarrierCode", ""),
                "shippedDate": body.get("shippedDate") or ebay_time(self.now()),
                "lineItems": [{"lineItemId": x["lineItemId"], "quantity": x["quantity"]} for x in body["lineItems"]],
            })
            order["fulfillmentHrefs"].append(f"/sell/fulfillment/v1/order/{order_id}/shipping_fulfillment/"
                                             f"{fulfillment_id}")
            shipped: dict[str, int] = {}
            for f in self.fulfillments[order_id]:
                for x in f["lineItems"]:
                    shipped[x["lineItemId"]] = shipped.get(x["lineItemId"], 0) + x["quantity"]
            for line in order["lineItems"]:
                done = shipped.get(line["lineItemId"], 0)
                line["lineItemFulfillmentStatus"] = ("FULFILLED" if done >= line["quantity"] else
                                                     "IN_PROGRESS" if done else "NOT_STARTED")
            states = {line["lineItemFulfillmentStatus"] for line in order["lineItems"]}
            order["orderFulfillmentStatus"] = "FULFILLED" if states == {"FULFILLED"} else "IN_PROGRESS"
            order["lastModifiedDate"] = ebay_time(self.now())
            return fulfillment_id

    def tracking_numbers(self, order_id: str) -> list[str]:
        with self.lock:
            return [f["shipmentTrackingNumber"] for f in self.fulfillments.get(order_id, [])
                    if f["shipmentTrackingNumber"]]
