"""The sandbox 1ShoppingCart XML API as a WSGI app.

As the clients that work against the real API call it (evidence in
docs/platforms/oneshoppingcart.md): every call is a GET to
`/API/{MerchantId}/{Resource}/...` with the key (`key`) and, for LIST, the paging
and date fields in the query string (names case-insensitive, as ASP.NET reads
them); answers are `<Response success="true">` with `NextRecordSet` (the fields
to send for the next page) when more records remain, or `<Response
success="false"><Error code="1001">No data found</Error>`. Orders and Clients are
read one at a time (`/Orders/{id}`, as LIST links them, or `/Orders/{id}/READ`).
`LimitStartDate`/`LimitEndDate` take `MM/dd/yyyy[ HH:mm:ss]` and filter by order
date. The API has no resource that changes an order.

Refused: any other method (405; the old wrapper's POST with a `<Request><Key>`
body among them) and a request without the key in its query string (the key
error, even if a body carries it). `faults` queues failing answers.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

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
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S"):
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
        fields = {name.lower(): value.strip() for name, value in request.args.items()}
        with self.store.lock:
            self.store.requests.append((request.method, request.path, dict(request.args)))
        fault = self.faults.take(request.path)
        if fault is not None:
            return fault
        match = _PATH.match(request.path)
        if not match:
            return Response("Not Found", status=404)
        if request.method != "GET":
            return Response("Method Not Allowed", status=405, headers={"Allow": "GET"})
        merchant, resource, target = match.groups()
        if merchant != self.store.merchant_id or fields.get("key") != self.api_key:
            return failure(*BAD_KEY)
        base = request.host_url.rstrip("/") + f"/API/{merchant}"
        with self.store.lock:
            if resource.lower() == "orders" and target.upper() == "LIST":
                return self.list_orders(fields, base)
            if resource.lower() == "orders":
                return self.read_order(target, base)
            return self.read_client(target)

    def list_orders(self, fields: dict, base: str) -> Response:
        """LIST; `fields` are the query parameters with lower-case names."""
        try:
            count = min(int(fields.get("limitcount") or 100), MAX_COUNT)
            offset = int(fields.get("limitoffset") or 0)
        except ValueError:
            return failure("1002", "LimitCount and LimitOffset must be numbers")  # code assumed
        start, end = _date(fields.get("limitstartdate", "")), _date(fields.get("limitenddate", ""))
        matching = sorted(
            (o for o in self.store.orders.values()
             if (start is None or o["OrderDate"] >= start) and (end is None or o["OrderDate"] <= end)),
            key=lambda o: (o["OrderDate"], int(o["Id"])), reverse=fields.get("sortorder", "").upper() != "ASC",
        )
        page = matching[offset:offset + count]
        if not page:
            return failure("1001", "No data found")
        root = _response()
        if offset + count < len(matching):
            nxt = SubElement(root, "NextRecordSet")
            for tag, value in (("LimitCount", str(count)), ("LimitOffset", str(offset + count)),
                               ("LimitStartDate", fields.get("limitstartdate", "")),
                               ("LimitEndDate", fields.get("limitenddate", "")),
                               ("SortOrder", fields.get("sortorder", ""))):
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
