"""The sandbox 1ShoppingCart XML API as a WSGI app.

As the API documentation (api.1shoppingcart.com, "API Results") shows it:
every call is POSTed to `/API/{MerchantId}/{Resource}/...` with the key (and
LIST paging) in a `<Request>` XML body; answers are `<Response success="true">`
with `NextRecordSet` (the fields to send for the next page) when more records
remain, or `<Response success="false"><Error code="1001">No data found</Error>`.
Orders and Clients are read one at a time (`/Orders/{id}[/READ]`). The API has
no resource that changes an order. `faults` queues failing answers.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from werkzeug.wrappers import Request, Response

from dockline.sandbox.oneshoppingcart.store import OneShoppingCartStore

XLINK = "http://www.w3.org/1999/xlink"
_PATH = re.compile(r"^/API/([^/]+)/(Orders|Clients)/([^/]+?)(?:/READ)?$", re.IGNORECASE)
MAX_COUNT = 250
BAD_KEY = ("1000", "Invalid merchant ID or API key")  # code assumed: only 1001 is documented


@dataclass
class Faults:
    """Answers to give instead of the real ones: (path suffix, factory of the Response)."""

    pending: list[tuple[str, Callable[[], Response]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_next(self, suffix: str, make: Callable[[], Response]) -> None:
        with self.lock:
            self.pending.append((suffix, make))

    def error_next(self, suffix: str, code: str, message: str) -> None:
        self.answer_next(suffix, lambda: failure(code, message))

    def take(self, path: str) -> Response | None:
        with self.lock:
            for n, (suffix, make) in enumerate(self.pending):
                if path.lower().endswith(suffix.lower()):
                    del self.pending[n]
                    return make()
        return None


def xml(root: Element, status: int = 200) -> Response:
    return Response(tostring(root, encoding="utf-8", xml_declaration=True), status=status, mimetype="text/xml")


def failure(code: str, message: str) -> Response:
    root = Element("Response", success="false")
    SubElement(root, "Error", code=code).text = message
    return xml(root)


def _response() -> Element:
    return Element("Response", {"success": "true", "xmlns:xlink": XLINK})


def _date(value: str) -> datetime | None:
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


class OneShoppingCartApp:
    def __init__(self, store: OneShoppingCartStore, api_key: str, faults: Faults | None = None):
        self.store = store
        self.api_key = api_key
        self.faults = faults or Faults()

    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        body = request.get_data()
        with self.store.lock:
            self.store.requests.append((request.path, body.decode("utf-8", "replace")))
        fault = self.faults.take(request.path)
        if fault is not None:
            return fault
        match = _PATH.match(request.path)
        if request.method != "POST" or not match:
            return Response("Not Found", status=404)
        try:
            fields = {child.tag: (child.text or "").strip() for child in fromstring(body, forbid_dtd=True)}
        except (ParseError, DefusedXmlException):
            return failure("1003", "The request is not valid XML")  # code assumed
        merchant, resource, target = match.groups()
        if merchant != self.store.merchant_id or fields.get("Key") != self.api_key:
            return failure(*BAD_KEY)
        base = request.host_url.rstrip("/") + f"/API/{merchant}"
        with self.store.lock:
            if resource.lower() == "orders" and target.upper() == "LIST":
                return self.list_orders(fields, base)
            if resource.lower() == "orders":
                return self.read_order(target, base)
            return self.read_client(target)

    def list_orders(self, fields: dict, base: str) -> Response:
        try:
            count = min(int(fields.get("LimitCount") or 100), MAX_COUNT)
            offset = int(fields.get("LimitOffset") or 0)
        except ValueError:
            return failure("1002", "LimitCount and LimitOffset must be numbers")  # code assumed
        start, end = _date(fields.get("LimitStartDate", "")), _date(fields.get("LimitEndDate", ""))
        matching = sorted(
            (o for o in self.store.orders.values()
             if (start is None or o["OrderDate"] >= start) and (end is None or o["OrderDate"] <= end)),
            key=lambda o: (o["OrderDate"], int(o["Id"])), reverse=fields.get("SortOrder", "").upper() != "ASC",
        )
        page = matching[offset:offset + count]
        if not page:
            return failure("1001", "No data found")
        root = _response()
        if offset + count < len(matching):
            nxt = SubElement(root, "NextRecordSet")
            for tag, value in (("LimitCount", str(count)), ("LimitOffset", str(offset + count)),
                               ("LimitStartDate", fields.get("LimitStartDate", "")),
                               ("LimitEndDate", fields.get("LimitEndDate", "")),
                               ("SortOrder", fields.get("SortOrder", ""))):
                if value:
                    SubElement(nxt, tag).text = value
        orders = SubElement(root, "Orders")
        for o in page:
            SubElement(orders, "Order", {f"{{{XLINK}}}href": f"{base}/Orders/{o['Id']}"}).text = o["Id"]
        return xml(root)

    def read_order(self, order_id: str, base: str) -> Response:
        order = self.store.orders.get(order_id)
        if order is None:
            return failure("1001", "No data found")
        root = _response()
        info = SubElement(root, "OrderInfo")
        SubElement(info, "Id").text = order["Id"]
        client_link = {f"{{{XLINK}}}href": f"{base}/Clients/{order['ClientId']}"}
        SubElement(info, "ClientId", client_link).text = order["ClientId"]
        SubElement(info, "OrderDate").text = order["OrderDate"].replace(tzinfo=None).isoformat()
        SubElement(info, "OrderStatusType").text = order["OrderStatusType"]
        SubElement(info, "Comments").text = order["Comments"]
        items = SubElement(info, "LineItems")
        for pid, qty in order["lines"]:
            product = self.store.products[pid]
            line = SubElement(items, "LineItemInfo")
            SubElement(line, "ProductId").text = pid
            SubElement(line, "ProductName").text = product["name"]
            SubElement(line, "Sku").text = product["sku"]
            SubElement(line, "Quantity").text = str(qty)
            SubElement(line, "UnitPrice").text = str(product["price"])
        shipping = SubElement(info, "ShippingInfo")
        SubElement(shipping, "ShippingMethodName").text = order["ShippingMethodName"]
        SubElement(shipping, "ShippingAmount").text = "5.00"
        profile = SubElement(root, "OrderShippingProfileInfo")
        for tag, value in order["ship_to"].items():
            SubElement(profile, tag).text = value
        return xml(root)

    def read_client(self, client_id: str) -> Response:
        client = self.store.clients.get(client_id)
        if client is None:
            return failure("1001", "No data found")
        root = _response()
        info = SubElement(root, "ClientInfo")
        SubElement(info, "Id").text = client_id
        SubElement(info, "MerchantId").text = self.store.merchant_id
        for tag, value in client.items():
            SubElement(info, tag).text = value
        return xml(root)
