"""The sandbox UltraCart REST v2 Fulfillment API as a WSGI app.

Follows UltraCart's OpenAPI spec (rest_api_v2_sdk_*, api/openapi.yaml):
`/rest/v2/fulfillment/distribution_centers[/{code}/orders|acknowledgements|shipments|inventory]`,
simple-key auth (`x-ultracart-simple-key`) with `X-UltraCart-Api-Version`,
204 for writes, ErrorResponse bodies plus the `UC-REST-ERROR` header for
errors, and the documented batch limits (100 order ids, 100 shipments, 500
inventories). `faults` makes the next matching requests fail.

Write bodies must have the shape of the official SDK's models (`ultracart-rest-sdk`:
`FulfillmentShipment`, `FulfillmentInventory`, whose item key is `itemId`): a field
the model does not have, or a value of the wrong type, is refused with 400, so a
connector that names a field wrongly fails here as it would against UltraCart.
The tests check every answer against the SDK's models and run the SDK against it.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from dockline.sandbox.ultracart.store import UltraCartStore

PREFIX = "/rest/v2"
_DC = re.compile(r"^/fulfillment/distribution_centers/([^/]+)/(orders|acknowledgements|shipments|inventory)$")
LIMITS = {"acknowledgements": ("order_ids", 100), "shipments": ("shipments", 100), "inventory": ("inventories", 500)}
_NUMBER = (int, float)
# The SDK's request models: JSON key -> accepted types (bool is not a number here).
MODELS = {
    "shipments": ("FulfillmentShipment", {"fulfillment_fee": _NUMBER, "order_id": str, "package_cost": _NUMBER,
                                          "shipping_cost": _NUMBER, "tracking_numbers": list}),
    "inventory": ("FulfillmentInventory", {"itemId": str, "quantity": _NUMBER}),
}
REQUIRED = {"shipments": ("order_id",), "inventory": ("itemId", "quantity")}


@dataclass
class Faults:
    """Queued failures: (method, path suffix, HTTP status, how many more times)."""

    pending: list[list] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, method: str, suffix: str, status: int, times: int = 1) -> None:
        with self.lock:
            self.pending.append([method.upper(), suffix, status, times])

    def take(self, method: str, path: str) -> int | None:
        with self.lock:
            for fault in self.pending:
                if fault[0] == method and path.endswith(fault[1]) and fault[3] > 0:
                    fault[3] -= 1
                    return fault[2]
        return None


def error(status: int, message: str) -> Response:
    body = {"success": False, "metadata": {},
            "error": {"error_code": str(status), "user_message": message, "developer_message": message,
                      "more_info": "", "object_id": ""}}
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers={"UC-REST-ERROR": message})


def shape_error(resource: str, records: list) -> str | None:
    """Why `records` is not a list of the SDK model for `resource`, or None when it is."""
    name = LIMITS[resource][0]
    if resource == "acknowledgements":
        bad = next((n for n, r in enumerate(records) if not isinstance(r, str)), None)
        return None if bad is None else f"{name}[{bad}] must be an order id string"
    model, fields = MODELS[resource]
    for n, record in enumerate(records):
        if not isinstance(record, dict):
            return f"{name}[{n}] must be a {model} object"
        for key, value in record.items():
            if key not in fields:
                return f"Unknown field {key!r} in {name}[{n}]: a {model} has {', '.join(fields)}"
            if isinstance(value, bool) or not isinstance(value, fields[key]):
                return f"{name}[{n}].{key} has the wrong type"
        missing = [key for key in REQUIRED[resource] if key not in record]
        if missing:
            return f"{name}[{n}] needs {' and '.join(missing)}"
        if resource == "shipments" and not all(isinstance(t, str) for t in record.get("tracking_numbers", [])):
            return f"{name}[{n}].tracking_numbers must be strings"
    return None


def ok(body: dict) -> Response:
    return Response(json.dumps({**body, "success": True, "metadata": {}}), mimetype="application/json")


class UltraCartApp:
    def __init__(self, store: UltraCartStore, api_key: str, faults: Faults | None = None):
        self.store = store
        self.api_key = api_key
        self.faults = faults or Faults()

    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        with self.store.lock:
            self.store.requests.append((request.method, path))
        if not path.startswith(PREFIX):
            return error(404, "Not found")
        path = path[len(PREFIX):]
        status = self.faults.take(request.method, path)
        if status:
            return error(status, "Too many requests" if status == 429 else f"Sandbox fault {status}")
        if request.headers.get("x-ultracart-simple-key") != self.api_key:
            return error(401, "Invalid credentials supplied")
        if not request.headers.get("X-UltraCart-Api-Version"):
            return error(400, "X-UltraCart-Api-Version header is required")
        if path == "/fulfillment/distribution_centers" and request.method == "GET":
            return ok({"distribution_centers": [{"code": c, "name": c} for c in self.store.distribution_centers]})
        match = _DC.match(path)
        if not match:
            return error(404, "Not found")
        dc, resource = match.groups()
        if dc not in self.store.distribution_centers:
            return error(404, f"Distribution center {dc} not found")
        if resource == "orders":
            if request.method != "GET":
                return error(405, "Method not allowed")
            return ok({"orders": self.store.queued(dc)})
        if request.method != ("PUT" if resource == "acknowledgements" else "POST"):
            return error(405, "Method not allowed")
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return error(400, "Invalid json")
        with self.store.lock:
            self.store.bodies.append((request.method, request.path, body))
        name, limit = LIMITS[resource]
        if not isinstance(body, list):
            return error(400, f"{name} must be an array")
        if len(body) > limit:
            return error(400, f"{name} can not contain more than {limit} records at a time")
        problem = shape_error(resource, body)
        if problem:
            return error(400, problem)
        return getattr(self, resource)(dc, body)

    def acknowledgements(self, dc: str, order_ids: list) -> Response:
        self.store.acknowledge(dc, order_ids)
        return Response(status=204)

    def shipments(self, dc: str, shipments: list) -> Response:
        unknown = [s.get("order_id") for s in shipments if s.get("order_id") not in self.store.orders]
        if unknown:
            return error(400, f"Order {unknown[0]} not found")
        for s in shipments:
            self.store.ship(s["order_id"], s.get("tracking_numbers") or [])
        return Response(status=204)

    def inventory(self, dc: str, inventories: list) -> Response:
        for inv in inventories:
            self.store.set_inventory(dc, inv["itemId"], int(inv["quantity"]))
        return Response(status=204)
