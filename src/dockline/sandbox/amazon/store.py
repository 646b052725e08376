"""The state of a sandbox Amazon seller: marketplaces, listings, orders with their items and
packages, feeds and their documents. Thread-safe (one lock)."""
from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

US = "ATVPDKIKX0DER"
MARKETPLACES = {
    US: ("US", "Amazon.com", "USD", "en_US", "www.amazon.com"),
    "A2EUQ1WTGCTBG2": ("CA", "Amazon.ca", "CAD", "en_CA", "www.amazon.ca"),
    "A1AM78C64UM0Y8": ("MX", "Amazon.com.mx", "MXN", "es_MX", "www.amazon.com.mx"),
}
NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Donald Knuth", "Ken Thompson"]
STREETS = ["1 Main St", "22 Oak Ave", "305 Pine Rd", "48 Elm Ct", "7 Cedar Ln"]
CITIES = [("Portland", "OR", "97201"), ("Austin", "TX", "73301"), ("Denver", "CO", "80202")]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AmazonSeller:
    seller_id: str = "A1SANDBOXSELLER"
    marketplaces: tuple[str, ...] = (US,)
    seed: int = 0
    listings: dict[str, dict] = field(default_factory=dict)  # sku -> {title, price, channel, quantity}
    orders: dict[str, dict] = field(default_factory=dict)  # order id -> v2026 Order (complete)
    confirmations: list[dict] = field(default_factory=list)  # every confirmShipment body applied
    feeds: dict[str, dict] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)  # id -> {content_type, content, url}

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(self.seed)
        self._seq = 0
        self.clock = datetime.now(UTC).replace(microsecond=0)

    def tick(self, seconds: float = 0) -> datetime:
        """Amazon's time: the wall clock, never going back (a test may set `clock` ahead)."""
        self.clock = max(datetime.now(UTC).replace(microsecond=0), self.clock + timedelta(seconds=seconds))
        return self.clock

    def next_id(self, prefix: str = "") -> str:
        self._seq += 1
        return f"{prefix}{self._seq}"

    # ------------------------------------------------------------ catalog
    def add_listing(self, sku: str, title: str = "", price: str = "0", *, channel: str = "DEFAULT",
                    quantity: int = 0) -> None:
        """An offer; `channel` AMAZON is fulfilled by Amazon (FBA): its quantity is Amazon's, not settable."""
        with self.lock:
            self.listings[sku] = {"title": title or sku, "price": Decimal(price), "channel": channel,
                                  "quantity": quantity}

    def quantity(self, sku: str) -> int | None:
        with self.lock:
            listing = self.listings.get(sku)
            return None if listing is None else listing["quantity"]

    def set_quantity(self, sku: str, quantity: Any) -> list[dict]:
        """Issues (Listings Issue objects) that refuse the quantity, or [] once set."""
        with self.lock:
            listing = self.listings.get(sku)
            if listing is None:
                return [{"code": "4000003", "severity": "ERROR", "attributeNames": [], "categories": ["INVALID_ATTRIBUTE"],
                         "message": f"The SKU '{sku}' does not match any listing in this marketplace."}]
            if listing["channel"] != "DEFAULT":
                return [{"code": "90220", "severity": "ERROR", "attributeNames": ["fulfillment_availability"],
                         "categories": ["INVALID_ATTRIBUTE"],
                         "message": "Quantity cannot be set for an offer fulfilled by Amazon (FBA)."}]
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                return [{"code": "90244", "severity": "ERROR", "attributeNames": ["fulfillment_availability"],
                         "categories": ["INVALID_ATTRIBUTE"],
                         "message": "'quantity' must be a whole number of at least 0."}]
            listing["quantity"] = quantity
            return []

    # ------------------------------------------------------------ orders
    def place_order(self, items: list[tuple[str, int]], *, service_level: str = "STANDARD",
                    fulfilled_by: str = "MERCHANT", status: str = "UNSHIPPED", programs: tuple[str, ...] = (),
                    gift: dict[str, str] | None = None, marketplace: str = US) -> str:
        """An order placed by a buyer; `gift`: sku -> gift message. Returns the order id."""
        with self.lock:
            now = self.tick()
            n = self.next_id()
            order_id = f"113-{int(n):07d}-{self.rng.randrange(10**7):07d}"
            city, state, postal = self.rng.choice(CITIES)
            name = self.rng.choice(NAMES)
            order_items = []
            for i, (sku, qty) in enumerate(items, start=1):
                listing = self.listings.get(sku, {"title": sku, "price": Decimal("0")})
                item = {
                    "orderItemId": f"{int(n):07d}{i:03d}",
                    "quantityOrdered": qty,
                    "product": {"asin": f"B0{self.rng.randrange(10**8):08d}", "title": listing["title"],
                                "sellerSku": sku, "price": {"unitPrice": {"amount": str(listing["price"]),
                                                                          "currencyCode": "USD"}}},
                    "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": qty},
                }
                if gift and sku in gift:
                    item["fulfillment"]["packing"] = {"giftOption": {"giftMessage": gift[sku],
                                                                     "giftWrapLevel": "Classic"}}
                order_items.append(item)
            self.orders[order_id] = {
                "orderId": order_id,
                "createdTime": iso(now),
                "lastUpdatedTime": iso(now),
                "programs": list(programs),
                "salesChannel": {"channelName": "AMAZON", "marketplaceId": marketplace,
                                 "marketplaceName": MARKETPLACES.get(marketplace, ("", marketplace))[1]},
                "buyer": {"buyerName": name, "buyerEmail": f"{self.rng.randrange(10**12):012d}@marketplace.amazon.com",
                          **({"buyerPurchaseOrderNumber": f"PO-{n}"} if "AMAZON_BUSINESS" in programs else {})},
                "recipient": {"deliveryAddress": {
                    "name": name, "addressLine1": self.rng.choice(STREETS), "city": city, "stateOrRegion": state,
                    "postalCode": postal, "countryCode": "US", "phone": "+1 555-0100", "addressType": "RESIDENTIAL"}},
                "fulfillment": {
                    "fulfillmentStatus": status, "fulfilledBy": fulfilled_by, "fulfillmentServiceLevel": service_level,
                    "shipByWindow": {"latestDateTime": iso(now + timedelta(days=2))},
                    "deliverByWindow": {"earliestDateTime": iso(now + timedelta(days=3)),
                                        "latestDateTime": iso(now + timedelta(days=6))},
                },
                "orderItems": order_items,
                "packages": [],
            }
            return order_id

    def update(self, order_id: str, **fulfillment) -> None:
        """Change an order as Amazon or the seller would (e.g. fulfillmentStatus="CANCELLED")."""
        with self.lock:
            order = self.orders[order_id]
            order["fulfillment"].update(fulfillment)
            order["lastUpdatedTime"] = iso(self.tick())

    def confirm(self, order_id: str, body: dict) -> str | None:
        """Apply a ConfirmShipmentRequest; returns why Amazon refuses it, or None."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return f"Order {order_id} was not found."
            detail = body["packageDetail"]
            items = {i["orderItemId"]: i for i in order["orderItems"]}
            if not str(detail["packageReferenceId"]).isdigit():
                return "packageReferenceId must be a positive number."
            if detail["carrierCode"] == "Other" and not detail.get("carrierName"):
                return "carrierName is required when carrierCode is Other."
            for line in detail["orderItems"]:
                item = items.get(line["orderItemId"])
                if item is None:
                    return f"Order item {line['orderItemId']} is not part of order {order_id}."
                if line["quantity"] > item["fulfillment"]["quantityUnfulfilled"]:
                    return f"Quantity {line['quantity']} of order item {line['orderItemId']} exceeds what is unshipped."
            now = self.tick()
            for line in detail["orderItems"]:
                f = items[line["orderItemId"]]["fulfillment"]
                f["quantityFulfilled"] += line["quantity"]
                f["quantityUnfulfilled"] -= line["quantity"]
            order["packages"].append({
                "packageReferenceId": str(detail["packageReferenceId"]), "createdTime": iso(now),
                "packageStatus": {"status": "IN_TRANSIT"}, "carrier": detail.get("carrierName") or detail["carrierCode"],
                "shipTime": detail["shipDate"], "shippingService": detail.get("shippingMethod", ""),
                "trackingNumber": detail["trackingNumber"],
                "packageItems": [{"orderItemId": i["orderItemId"], "quantity": i["quantity"]}
                                 for i in detail["orderItems"]],
            })
            done = all(i["fulfillment"]["quantityUnfulfilled"] == 0 for i in order["orderItems"])
            order["fulfillment"]["fulfillmentStatus"] = "SHIPPED" if done else "PARTIALLY_SHIPPED"
            order["lastUpdatedTime"] = iso(now)
            self.confirmations.append(body)
            return None

    def tracking_numbers(self, order_id: str) -> list[str]:
        with self.lock:
            return [p["trackingNumber"] for p in self.orders[order_id]["packages"]]

    # ------------------------------------------------------------ feeds
    def process_feed(self, feed_id: str) -> None:
        """Apply a JSON_LISTINGS_FEED and write its processing report."""
        with self.lock:
            feed = self.feeds[feed_id]
            source = self.documents[feed["inputFeedDocumentId"]]
            issues, accepted = [], 0
            try:
                messages = json.loads(source["content"] or b"{}").get("messages") or []
            except ValueError:
                messages = None
            if messages is None:
                feed["processingStatus"] = "FATAL"
                issues.append({"code": "4000001", "severity": "ERROR", "message": "The feed is not valid JSON."})
            for message in messages or []:
                value = next((p.get("value") for p in message.get("patches") or []
                              if p.get("path") == "/attributes/fulfillment_availability"), None) or [{}]
                found = self.set_quantity(message.get("sku", ""), value[0].get("quantity"))
                issues.extend({"messageId": message.get("messageId"), **i} for i in found)
                accepted += not found
            report = {"header": {"sellerId": self.seller_id, "version": "2.0", "feedId": feed_id},
                      "issues": issues,
                      "summary": {"errors": len(issues), "warnings": 0, "messagesProcessed": len(messages or []),
                                  "messagesAccepted": accepted, "messagesInvalid": len(messages or []) - accepted}}
            result_id = self.next_id("amzn1.tortuga.4.na.result.")
            self.documents[result_id] = {"content_type": "application/json", "content": json.dumps(report).encode()}
            feed.update(processingStatus=feed.get("processingStatus") if messages is None else "DONE",
                        processingStartTime=iso(self.clock), processingEndTime=iso(self.tick()),
                        resultFeedDocumentId=result_id)
