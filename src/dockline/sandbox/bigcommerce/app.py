"""The BigCommerce sandbox's WSGI app: the parts of the V2 Orders and V3
Catalog/Inventory APIs that Dockline uses, with BigCommerce's auth, scopes,
paging, error bodies and rate-limit headers.

V2 errors are JSON arrays (`[{"status": 404, "message": "..."}]`), V3 errors
are objects (`{"status", "title", "type", "errors"}`). Every answer carries the
`X-Rate-Limit-*` headers; past the quota the answer is 429.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from dockline.sandbox.bigcommerce import webhooks
from dockline.sandbox.bigcommerce.store import (
    ORDER_STATUSES,
    ApiError,
    BigCommerceStore,
    iso8601,
)
from dockline.sandbox.http import dropped

ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
ALL_SCOPES = frozenset({
    "store_v2_orders", "store_v2_products", "store_inventory",
})
CLIENT_ID = "sandbox-client"
MAX_V2_LIMIT = 250
MAX_V3_LIMIT = 250


class Faults:
    """Switchable failure modes, applied before anything else (as a flaky network or gateway would)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency = 0.0  # seconds added to every answer
        self._fail: list[int] = []  # statuses for the next requests
        self._hang: list[tuple[float, str | None]] = []  # (seconds to sit on it, route or any) for the next requests
        self._drop = 0  # next requests: close the connection without answering
        self._throttle = 0  # next requests: 429 whatever the quota says
        self._lose: list[str | None] = []  # next requests (of a route, or any): carried out, answer dropped
        self.fired: Counter[str] = Counter()  # faults that hit a request, by kind

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        with self._lock:
            self._fail.extend([status] * n)

    def timeout_next(self, n: int = 1, seconds: float = 5.0, route: str | None = None) -> None:
        """The next n requests (of `route`, as `Stats.by_path` names it, or any) get no answer for `seconds`,
        then are carried out: a client with a shorter timeout gives up, and the request still lands."""
        with self._lock:
            self._hang.extend([(seconds, route)] * n)

    def drop_next(self, n: int = 1) -> None:
        with self._lock:
            self._drop += n

    def throttle_next(self, n: int = 1) -> None:
        with self._lock:
            self._throttle += n

    def lose_answer_next(self, n: int = 1, route: str | None = None) -> None:
        """The next n requests are carried out, but the connection drops before the answer is sent.

        With `route` (as `Stats.by_path` names it, e.g. ``"POST /v2/orders/{order_id}/shipments"``)
        only requests to that route lose their answer: the write is applied, the caller never hears so.
        """
        with self._lock:
            self._lose.extend([route] * n)

    def reset(self) -> None:
        with self._lock:
            self.latency = 0.0
            self._fail.clear()
            self._hang.clear()
            self._drop = 0
            self._throttle = 0
            self._lose.clear()

    def take_lose(self, route: str = "") -> bool:
        with self._lock:
            for index, wanted in enumerate(self._lose):
                if wanted is None or wanted == route:
                    del self._lose[index]
                    self.fired[f"lost answer {wanted}" if wanted else "lost answer"] += 1
                    return True
            return False

    def take(self, route: str = "") -> tuple[int | None, float, bool, bool]:
        with self._lock:
            status = self._fail.pop(0) if self._fail else None
            hang = next((h for h in self._hang if h[1] is None or h[1] == route), None)
            if hang is not None:
                self._hang.remove(hang)
            hang = hang[0] if hang else 0.0
            drop = self._drop > 0
            if drop:
                self._drop -= 1
            throttle = self._throttle > 0
            if throttle:
                self._throttle -= 1
            for kind, hit in (("5xx", status), ("timeout", hang), ("dropped", drop), ("429", throttle),
                              ("slow", self.latency)):
                if hit:
                    self.fired[kind] += 1
            return status, hang, drop, throttle


class RateLimiter:
    """BigCommerce-style fixed window: `quota` requests per `window` seconds per store.
    `windows()` lists the requests counted in each window so far (the last one still open)."""

    def __init__(self, quota: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.quota = quota
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._window_end = 0.0
        self._used = 0
        self._history: list[int] = []

    def _roll(self, now: float) -> None:
        if now >= self._window_end:
            if self._window_end:
                self._history.append(self._used)
            self._window_end = now + self.window
            self._used = 0

    def windows(self) -> list[int]:
        with self._lock:
            return [*self._history, self._used] if self._window_end else []

    def acquire(self, consume: bool = True) -> tuple[bool, dict[str, str]]:
        """(allowed, headers). With consume=False only reports the state (for 401s)."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            allowed = self._used < self.quota
            if allowed and consume:
                self._used += 1
            reset_ms = max(1, math.ceil((self._window_end - now) * 1000))
            return allowed, {
                "X-Rate-Limit-Requests-Quota": str(self.quota),
                "X-Rate-Limit-Requests-Left": str(max(0, self.quota - self._used)),
                "X-Rate-Limit-Time-Window-Ms": str(int(self.window * 1000)),
                "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
            }


def _rules() -> list[Rule]:
    s = "/stores/<store_hash>"
    r = [
        ("/v2/orders", "orders", ["GET"]),
        ("/v2/orders/<int:order_id>", "order", ["GET", "PUT"]),
        ("/v2/orders/<int:order_id>/products", "order_products", ["GET"]),
        ("/v2/orders/<int:order_id>/shipping_addresses", "order_addresses", ["GET"]),
        ("/v2/orders/<int:order_id>/shipments", "order_shipments", ["GET", "POST"]),
        ("/v2/order_statuses", "order_statuses", ["GET"]),
        ("/v3/catalog/products", "products", ["GET"]),
        ("/v3/catalog/variants", "variants", ["GET"]),
        ("/v3/inventory/adjustments/absolute", "absolute", ["PUT"]),
        ("/v3/inventory/items", "inventory_items", ["GET"]),
        ("/v3/inventory/locations/<int:location_id>/items", "location_items", ["GET"]),
        ("/v3/hooks", "hooks", ["GET", "POST"]),
        ("/v3/hooks/<int:hook_id>", "hook", ["GET", "PUT", "DELETE"]),
    ]
    rules = [Rule(s + path, endpoint=ep, methods=methods, strict_slashes=False) for path, ep, methods in r]
    # the app install token exchange (https://login.bigcommerce.com/oauth2/token)
    return [*rules, Rule("/oauth2/token", endpoint="token", methods=["POST"])]


ROUTE_TEMPLATES = {
    "orders": "/v2/orders",
    "order": "/v2/orders/{order_id}",
    "order_products": "/v2/orders/{order_id}/products",
    "order_addresses": "/v2/orders/{order_id}/shipping_addresses",
    "order_shipments": "/v2/orders/{order_id}/shipments",
    "order_statuses": "/v2/order_statuses",
    "products": "/v3/catalog/products",
    "variants": "/v3/catalog/variants",
    "absolute": "/v3/inventory/adjustments/absolute",
    "inventory_items": "/v3/inventory/items",
    "location_items": "/v3/inventory/locations/{location_id}/items",
    "hooks": "/v3/hooks",
    "hook": "/v3/hooks/{webhook_id}",
    "token": "/oauth2/token",
}


def _scope_for(endpoint: str, method: str) -> tuple[str, str] | None:
    """(scope family, modify scope) needed by a route (reads also accept `<scope>_read_only`);
    None for webhooks, which "need no scope beyond the API account's default"."""
    if endpoint in ("hooks", "hook"):
        return None
    if endpoint in ("products", "variants"):
        return "store_v2_products", "store_v2_products"
    if endpoint in ("absolute", "inventory_items", "location_items"):
        return "store_inventory", "store_inventory"
    return "store_v2_orders", "store_v2_orders"


def _parse_date(value: str) -> datetime:
    """RFC 2822 or ISO 8601, as the V2 date filters accept."""
    value = value.strip()
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, f"The date '{value}' is not a valid RFC 2822 or ISO 8601 date.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _int_param(args, name: str, default: int | None = None, *, minimum: int | None = None) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise ApiError(400, f"The field '{name}' is invalid.") from None
    if minimum is not None and value < minimum:
        raise ApiError(400, f"The field '{name}' is invalid.")
    return value


def _csv(args, name: str) -> list[str] | None:
    raw = args.get(name)
    if raw is None:
        return None
    return [part for part in raw.split(",") if part != ""]


class BigCommerceApp:
    def __init__(
        self,
        store: BigCommerceStore,
        *,
        store_hash: str,
        access_token: str,
        quota: int,
        window_seconds: float,
        faults: Faults,
        scopes: Iterable[str] | None = None,
    ):
        self.store = store
        self.store_hash = store_hash
        self.access_token = access_token
        self.limiter = RateLimiter(quota, window_seconds)
        self.faults = faults
        self.scopes: set[str] = set(ALL_SCOPES if scopes is None else scopes)
        self.url_map = Map(_rules())
        self.app_credentials = ("sandbox-app-client-id", "sandbox-app-client-secret")  # the app's, for installs
        self.codes: set[str] = set()

    # --------------------------------------------------------------- plumbing
    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        if response is None:  # dropped connection
            response = dropped(environ)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response | None:
        store = self.store
        version = "v3" if "/v3/" in request.path else "v2"
        adapter = self.url_map.bind_to_environ(request.environ)
        endpoint, values = None, {}
        try:
            endpoint, values = adapter.match()
            route = f"{request.method} {ROUTE_TEMPLATES[endpoint]}"
        except HTTPException:
            route = f"{request.method} (unknown)"
        with store.lock:
            store.stats.requests += 1
            store.stats.by_path[route] += 1

        status, hang, drop, throttle = self.faults.take(route)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        if hang:
            time.sleep(hang)
        if drop:
            return None
        response = self._answer(request, version, endpoint, values, status, throttle)
        if self.faults.take_lose(route):
            return None
        with store.lock:
            store.stats.by_status[response.status_code] += 1
            if response.status_code == 429:
                store.stats.rate_limited += 1
            store.stats.log.append((request.method, request.path, request.query_string.decode(), response.status_code))
        return response

    def _answer(self, request, version, endpoint, values, fault_status, throttle) -> Response:
        if fault_status is not None:
            _, headers = self.limiter.acquire(consume=True)
            return self._error(version, fault_status, "Internal Server Error" if fault_status == 500 else "Service unavailable", headers)
        if endpoint is None:
            try:
                self.url_map.bind_to_environ(request.environ).match()
            except MethodNotAllowed:
                return self._error(version, 405, "Method Not Allowed", {})
            except (NotFound, HTTPException):
                pass
            return self._error(version, 404, "The requested resource was not found.", {})
        if endpoint == "token":
            return self._token(request)
        if values.pop("store_hash") != self.store_hash:
            return self._error(version, 404, "The requested resource was not found.", {})
        token = request.headers.get("X-Auth-Token", "")
        if token != self.access_token:
            _, headers = self.limiter.acquire(consume=False)
            message = "No credentials were supplied in the request." if not token else "Invalid credentials."
            return self._error(version, 401, message, headers)
        allowed, headers = self.limiter.acquire(consume=True)
        if throttle or not allowed:
            if throttle:
                headers["X-Rate-Limit-Requests-Left"] = "0"
            return self._error(version, 429, "Too many requests.", headers)
        needed = _scope_for(endpoint, request.method)
        if needed is None:
            ok = True
        elif request.method == "GET":
            ok = needed[1] in self.scopes or f"{needed[0]}_read_only" in self.scopes
        else:
            ok = needed[1] in self.scopes
        if not ok:
            return self._error(version, 403, "You don't have a required scope to access the endpoint", headers)
        accept = request.headers.get("Accept", "")
        if accept and not any(t in accept for t in ("application/json", "*/*", "application/*")):
            return self._error(version, 406, "The requested content type is not acceptable.", headers)
        body = None
        if request.method in ("PUT", "POST") or (request.method == "DELETE" and request.content_length):
            if "application/json" not in request.headers.get("Content-Type", ""):
                return self._error(version, 415, "The Content-Type header must be application/json.", headers)
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError:
                return self._error(version, 400, "The request body is not valid JSON.", headers)
        try:
            handler = getattr(self, f"h_{endpoint}")
            status, payload = handler(request, body=body, **values)
        except ApiError as exc:
            return self._error(version, exc.status, exc.message, headers, exc.errors, problem="/inventory/" in request.path)
        if status == 204:
            return Response(b"", status=204, headers=headers)
        return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")

    def issue_code(self) -> str:
        """An authorization code, as the control panel passes to the app's auth callback on install."""
        code = f"code-{len(self.codes) + 1}-{time.monotonic_ns()}"
        self.codes.add(code)
        return code

    def _token(self, request: Request) -> Response:
        """POST /oauth2/token: exchange a one-time code for the store's access token and scopes."""
        if request.mimetype == "application/json":
            try:
                form = json.loads(request.get_data() or b"{}")
            except ValueError:
                form = {}
        else:
            form = request.form.to_dict()
        if not isinstance(form, dict):
            form = {}
        missing = [k for k in ("client_id", "client_secret", "code", "scope", "grant_type", "redirect_uri", "context")
                   if not form.get(k)]
        if missing:
            return self._json(400, {"error": f"missing {', '.join(missing)}"})
        if (form["client_id"], form["client_secret"]) != self.app_credentials:
            return self._json(401, {"error": "Invalid client id or client secret"})
        if form["grant_type"] != "authorization_code" or form["context"] != f"stores/{self.store_hash}":
            return self._json(400, {"error": "Invalid grant type or context"})
        if form["code"] not in self.codes:
            return self._json(400, {"error": "Invalid verification code"})
        self.codes.discard(form["code"])  # one use only
        return self._json(200, {
            "access_token": self.access_token, "scope": " ".join(sorted(self.scopes)),
            "user": {"id": 24654, "username": "merchant@example.com", "email": "merchant@example.com"},
            "owner": {"id": 24654, "username": "merchant@example.com", "email": "merchant@example.com"},
            "context": f"stores/{self.store_hash}", "account_uuid": "a1b2c3d4-0000-4000-8000-000000000000",
        })

    @staticmethod
    def _json(status: int, body: dict) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _error(self, version, status, message, headers, errors=None, problem=False) -> Response:
        if version == "v2":
            body = [{"status": status, "message": message}]
            ctype = "application/json"
        else:
            body = {"status": status, "title": message, "type": ERROR_TYPE, "errors": errors or {}}
            ctype = "application/problem+json" if problem else "application/json"
        return Response(json.dumps(body), status=status, headers=headers, content_type=ctype)

    def _v2_root(self, request: Request) -> str:
        return f"{request.host_url.rstrip('/')}/stores/{self.store_hash}/v2"

    def _link(self, request: Request, resource: str) -> dict:
        return {"url": self._v2_root(request) + resource, "resource": resource}

    # ----------------------------------------------------------------- V2
    def _render_order(self, request: Request, order: dict, include: list[str], structure: str | None) -> dict:
        out = dict(order)
        oid = order["id"]
        out["products"] = self._link(request, f"/orders/{oid}/products")
        out["shipping_addresses"] = self._link(request, f"/orders/{oid}/shipping_addresses")
        out["coupons"] = self._link(request, f"/orders/{oid}/coupons")
        out["billing_address"] = dict(order["billing_address"])
        if ("consignments" in include or "consignments.line_items" in include) and structure == "object":
            with_lines = "consignments.line_items" in include
            products = self.store._order_products[oid]
            shipping = []
            for addr in self.store._order_addresses[oid]:
                lines = [p for p in products if p["order_address_id"] == addr["id"]]
                entry = {
                    "id": addr["id"],
                    **{k: addr[k] for k in (
                        "first_name", "last_name", "company", "street_1", "street_2", "city", "zip", "country",
                        "country_iso2", "state", "email", "phone", "form_fields", "shipping_method",
                        "items_total", "items_shipped", "cost_tax_class_id", "handling_cost_tax_class_id",
                        "shipping_zone_id", "shipping_zone_name")},
                    "line_items": (
                        [dict(p) for p in lines] if with_lines
                        else [self._link(request, f"/orders/{oid}/products/{p['id']}") for p in lines]
                    ),
                    "shipping_quotes": self._link(request, f"/orders/{oid}/consignments/shipping/{addr['id']}/shipping_quotes"),
                }
                for k in ("base_cost", "cost_ex_tax", "cost_inc_tax", "cost_tax", "base_handling_cost",
                          "handling_cost_ex_tax", "handling_cost_inc_tax", "handling_cost_tax"):
                    entry[k] = float(addr[k])
                shipping.append(entry)
            out["consignments"] = {"pickups": [], "shipping": shipping, "downloads": [], "email": {"gift_certificates": []}}
        elif "consignments" in include or "consignments.line_items" in include:
            out["consignments"] = self._link(request, f"/orders/{oid}/consignments")
        return out

    def _v2_page(self, request: Request, rows: list) -> tuple[int, list]:
        page = _int_param(request.args, "page", 1, minimum=1)
        limit = _int_param(request.args, "limit", 50, minimum=1)
        limit = min(limit, MAX_V2_LIMIT)
        chunk = rows[(page - 1) * limit: page * limit]
        return (200, chunk) if chunk else (204, None)

    def h_orders(self, request: Request, body=None):
        args = request.args
        status_id = _int_param(args, "status_id")
        min_id = _int_param(args, "min_id")
        max_id = _int_param(args, "max_id")
        bounds = {k: _parse_date(args[k]) for k in (
            "min_date_modified", "max_date_modified", "min_date_created", "max_date_created") if args.get(k)}
        include = _csv(args, "include") or []
        for inc in include:
            if inc not in ("consignments", "consignments.line_items", "fees"):
                raise ApiError(400, f"The field 'include' is invalid: {inc}")
        structure = args.get("consignment_structure")
        sort = args.get("sort", "id")
        field, _, direction = sort.partition(":")
        if field not in ("id", "customer_id", "date_created", "date_modified", "status_id", "channel_id", "external_id"):
            raise ApiError(400, "The field 'sort' is invalid.")
        if direction not in ("", "asc", "desc"):
            raise ApiError(400, "The field 'sort' is invalid.")
        with self.store.lock:
            rows = []
            for order in self.store.orders.values():
                if order["is_deleted"]:
                    continue
                if status_id is not None and order["status_id"] != status_id:
                    continue
                if min_id is not None and order["id"] < min_id:
                    continue
                if max_id is not None and order["id"] > max_id:
                    continue
                modified = parsedate_to_datetime(order["date_modified"])
                created = parsedate_to_datetime(order["date_created"])
                if "min_date_modified" in bounds and modified < bounds["min_date_modified"]:
                    continue
                if "max_date_modified" in bounds and modified > bounds["max_date_modified"]:
                    continue
                if "min_date_created" in bounds and created < bounds["min_date_created"]:
                    continue
                if "max_date_created" in bounds and created > bounds["max_date_created"]:
                    continue
                rows.append(order)

            def key(o):
                v = o.get(field)
                if field in ("date_created", "date_modified"):
                    v = parsedate_to_datetime(v)
                return (v if v is not None else "", o["id"])

            rows.sort(key=key, reverse=direction == "desc")
            status, chunk = self._v2_page(request, rows)
            if status == 204:
                return 204, None
            return 200, [self._render_order(request, o, include, structure) for o in chunk]

    def h_order(self, request: Request, order_id: int, body=None):
        with self.store.lock:
            if request.method == "PUT":
                if not isinstance(body, dict):
                    raise ApiError(400, "The request body is invalid.")
                order = self.store.update_order(order_id, body)
                return 200, self._render_order(request, order, [], None)
            order = self.store.order(order_id)
            include = _csv(request.args, "include") or []
            return 200, self._render_order(request, order, include, request.args.get("consignment_structure"))

    def h_order_products(self, request: Request, order_id: int, body=None):
        with self.store.lock:
            rows = [dict(p) for p in self.store.order_products(order_id)]
            return self._v2_page(request, rows)

    def h_order_addresses(self, request: Request, order_id: int, body=None):
        with self.store.lock:
            rows = []
            for addr in self.store.order_addresses(order_id):
                row = dict(addr)
                row["shipping_quotes"] = self._link(request, f"/orders/{order_id}/shipping_addresses/{addr['id']}/shipping_quotes")
                rows.append(row)
            return self._v2_page(request, rows)

    def h_order_shipments(self, request: Request, order_id: int, body=None):
        with self.store.lock:
            if request.method == "POST":
                return 201, self.store.create_shipment(order_id, body)
            self.store.order(order_id)
            return self._v2_page(request, [dict(s) for s in self.store.shipments_for(order_id)])

    def h_order_statuses(self, request: Request, body=None):
        labels = self.store.status_labels
        return 200, [
            {"id": sid, "name": name, "system_label": name, "custom_label": labels.get(sid, name),
             "system_description": desc}
            for sid, (name, desc) in ORDER_STATUSES.items()
        ]

    # ----------------------------------------------------------------- V3 webhooks
    def h_hooks(self, request: Request, body=None):
        if request.method == "POST":
            return 200, {"data": webhooks.create_hook(self.store, self.store_hash, CLIENT_ID, body), "meta": {}}
        args = request.args
        with self.store.lock:
            rows = [dict(h) for _, h in sorted(self.store.hooks.items())
                    if (args.get("scope") is None or h["scope"] == args["scope"])
                    and (args.get("destination") is None or h["destination"] == args["destination"])
                    and (args.get("is_active") is None or h["is_active"] == (args["is_active"] == "true"))]
        chunk, meta = self._v3_page(request, rows)
        return 200, {"data": chunk, "meta": meta}

    def h_hook(self, request: Request, hook_id: int, body=None):
        if request.method == "PUT":
            return 200, {"data": webhooks.update_hook(self.store, hook_id, body), "meta": {}}
        hook = webhooks.get_hook(self.store, hook_id)
        if request.method == "DELETE":
            with self.store.lock:
                self.store.hooks.pop(hook_id, None)
        return 200, {"data": hook, "meta": {}}

    # ----------------------------------------------------------------- V3
    def _v3_page(self, request: Request, rows: list) -> tuple[list, dict]:
        page = _int_param(request.args, "page", 1, minimum=1)
        limit = min(_int_param(request.args, "limit", 50, minimum=1), MAX_V3_LIMIT)
        total = len(rows)
        total_pages = max(1, math.ceil(total / limit)) if total else 0
        chunk = rows[(page - 1) * limit: page * limit]
        other = {k: v for k, v in request.args.items(multi=True) if k not in ("page", "limit")}

        def link(p: int) -> str:
            return "?" + urlencode([*other.items(), ("page", p), ("limit", limit)])

        links = {"current": link(page)}
        if page > 1:
            links["previous"] = link(page - 1)
        if page < total_pages:
            links["next"] = link(page + 1)
        meta = {"pagination": {
            "total": total, "count": len(chunk), "per_page": limit, "current_page": page,
            "total_pages": total_pages, "links": links,
        }}
        return chunk, meta

    def _render_variant(self, variant: dict) -> dict:
        store = self.store
        product = store.products[variant["product_id"]]
        price = variant["price"] if variant["price"] is not None else product["price"]
        out = {
            "id": variant["id"],
            "product_id": variant["product_id"],
            "sku": variant["sku"],
            "cost_price": 0.0,
            "price": price,
            "calculated_price": price,
            "weight": product["weight"],
            "calculated_weight": product["weight"],
            "width": 0.0,
            "height": 0.0,
            "depth": 0.0,
            "is_free_shipping": False,
            "purchasing_disabled": False,
            "purchasing_disabled_message": "",
            "image_url": "",
            "upc": "",
            "mpn": "",
            "gtin": "",
            "inventory_level": store.variant_level(variant),
            "inventory_warning_level": 0,
            "bin_picking_number": "",
            "option_values": [dict(ov) for ov in variant["option_values"]],
        }
        if variant["sku_id"] is not None:  # omitted (not null) for base variants: the spec has no nullable here
            out["sku_id"] = variant["sku_id"]
        return out

    def _render_product(self, product: dict, include: list[str]) -> dict:
        store = self.store
        slug = "".join(c if c.isalnum() else "-" for c in product["name"].lower()).strip("-")
        out = {
            "id": product["id"],
            "name": product["name"],
            "type": "physical",
            "sku": product["sku"],
            "weight": product["weight"],
            "width": 0,
            "depth": 0,
            "height": 0,
            "price": product["price"],
            "cost_price": 0,
            "retail_price": 0,
            "sale_price": 0,
            "map_price": 0,
            "calculated_price": product["price"],
            "tax_class_id": 0,
            "product_tax_code": "",
            "categories": [23],
            "brand_id": 0,
            "inventory_level": store.product_level(product),
            "inventory_warning_level": 0,
            "inventory_tracking": product["inventory_tracking"],
            "fixed_cost_shipping_price": 0,
            "is_free_shipping": False,
            "is_visible": True,
            "is_featured": False,
            "related_products": [],
            "warranty": "",
            "bin_picking_number": "",
            "layout_file": "product.html",
            "upc": "",
            "mpn": "",
            "gtin": "",
            "search_keywords": "",
            "availability": "available",
            "availability_description": "",
            "gift_wrapping_options_type": "any",
            "gift_wrapping_options_list": [],
            "sort_order": 0,
            "condition": "New",
            "is_condition_shown": False,
            "order_quantity_minimum": 0,
            "order_quantity_maximum": 0,
            "page_title": "",
            "meta_keywords": [],
            "meta_description": "",
            "preorder_release_date": None,
            "preorder_message": "",
            "is_preorder_only": False,
            "is_price_hidden": False,
            "price_hidden_label": "",
            "custom_url": {"url": f"/{slug}/", "is_customized": False},
            "open_graph_type": "product",
            "open_graph_title": "",
            "open_graph_description": "",
            "open_graph_use_meta_description": True,
            "open_graph_use_product_name": True,
            "open_graph_use_image": True,
            "reviews_rating_sum": 0,
            "reviews_count": 0,
            "total_sold": product["total_sold"],
            "date_created": iso8601(product["date_created"]),
            "date_modified": iso8601(product["date_modified"]),
        }
        if product["base_variant_id"] is not None:
            out["base_variant_id"] = product["base_variant_id"]
        if "variants" in include:
            out["variants"] = [self._render_variant(store.variants[v]) for v in product["variant_ids"]]
        return out

    def h_products(self, request: Request, body=None):
        args = request.args
        include = _csv(args, "include") or []
        skus = _csv(args, "sku:in")
        ids = _csv(args, "id:in")
        sku = args.get("sku")
        try:
            id_set = {int(i) for i in ids} if ids is not None else None
            one_id = int(args["id"]) if args.get("id") else None
        except ValueError:
            raise ApiError(422, "The filter 'id' is invalid.") from None
        with self.store.lock:
            rows = []
            for product in sorted(self.store.products.values(), key=lambda p: p["id"]):
                if skus is not None and product["sku"] not in skus:
                    continue
                if sku is not None and product["sku"] != sku:
                    continue
                if id_set is not None and product["id"] not in id_set:
                    continue
                if one_id is not None and product["id"] != one_id:
                    continue
                rows.append(product)
            chunk, meta = self._v3_page(request, rows)
            return 200, {"data": [self._render_product(p, include) for p in chunk], "meta": meta}

    def h_variants(self, request: Request, body=None):
        args = request.args
        sku = args.get("sku")
        product_ids = _csv(args, "product_id:in")
        try:
            pid_set = {int(i) for i in product_ids} if product_ids is not None else None
            one_id = int(args["id"]) if args.get("id") else None
        except ValueError:
            raise ApiError(422, "The filter 'product_id:in' is invalid.") from None
        with self.store.lock:
            rows = [
                v for v in sorted(self.store.variants.values(), key=lambda v: v["id"])
                if (sku is None or v["sku"] == sku)
                and (pid_set is None or v["product_id"] in pid_set)
                and (one_id is None or v["id"] == one_id)
            ]
            chunk, meta = self._v3_page(request, rows)
            return 200, {"data": [self._render_variant(v) for v in chunk], "meta": meta}

    def h_absolute(self, request: Request, body=None):
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ApiError(422, "The field 'items' is required.", {"items": "required"})
        reason = body.get("reason", "")
        transaction_id = self.store.absolute_adjustment(body["items"], reason if isinstance(reason, str) else "")
        return 200, {"transaction_id": transaction_id}

    def _inventory_rows(self, request: Request, location_ids: list[int]):
        """(identity, {location_id: qty}) per inventory item: each variant of a product tracked by
        variant, the product itself (its base variant) when tracked by product."""
        args = request.args
        skus = _csv(args, "sku:in")
        try:
            vids = {int(v) for v in _csv(args, "variant_id:in") or []} or None
            pids = {int(v) for v in _csv(args, "product_id:in") or []} or None
        except ValueError:
            raise ApiError(422, "Invalid filter.") from None
        store = self.store
        rows = []
        for product in sorted(store.products.values(), key=lambda p: p["id"]):
            if product["inventory_tracking"] == "none":
                continue
            if product["inventory_tracking"] == "product":
                variant_id = product["base_variant_id"] or product["variant_ids"][0]
                identity = {"sku": product["sku"], "variant_id": variant_id, "product_id": product["id"]}
                levels = {loc: store.product_level(product, loc) for loc in location_ids}
                items = [(identity, levels)]
            else:
                items = []
                for vid in product["variant_ids"]:
                    variant = store.variants[vid]
                    identity = {"sku": variant["sku"], "variant_id": vid, "product_id": product["id"]}
                    if variant["sku_id"] is not None:
                        identity["sku_id"] = variant["sku_id"]
                    items.append((identity, {loc: store.variant_level(variant, loc) for loc in location_ids}))
            for identity, levels in items:
                if skus is not None and identity["sku"] not in skus:
                    continue
                if vids is not None and identity["variant_id"] not in vids:
                    continue
                if pids is not None and identity["product_id"] not in pids:
                    continue
                rows.append((identity, levels))
        return rows

    def h_inventory_items(self, request: Request, body=None):
        try:
            locs = [int(v) for v in _csv(request.args, "location_id:in") or []]
        except ValueError:
            raise ApiError(422, "Invalid filter.") from None
        with self.store.lock:
            location_ids = [loc for loc in (locs or sorted(self.store.locations)) if loc in self.store.locations]
            chunk, meta = self._v3_page(request, self._inventory_rows(request, location_ids))
            data = []
            for identity, levels in chunk:
                data.append({"identity": identity, "locations": [{
                    "location_id": loc,
                    "location_code": self.store.locations[loc]["code"],
                    "location_name": self.store.locations[loc]["label"],
                    "available_to_sell": qty,
                    "total_inventory_onhand": qty,
                    "location_enabled": self.store.locations[loc]["enabled"],
                    "settings": {"safety_stock": 0, "is_in_stock": qty > 0, "warning_level": 0, "bin_picking_number": ""},
                } for loc, qty in levels.items()]})
            return 200, {"data": data, "meta": meta}

    def h_location_items(self, request: Request, location_id: int, body=None):
        with self.store.lock:
            if location_id not in self.store.locations:
                raise ApiError(404, f"Location {location_id} was not found.")
            chunk, meta = self._v3_page(request, self._inventory_rows(request, [location_id]))
            data = []
            for identity, levels in chunk:
                qty = levels[location_id]
                data.append({
                    "identity": {k: identity[k] for k in ("sku", "variant_id", "product_id")},
                    "available_to_sell": qty,
                    "total_inventory_onhand": qty,
                    "settings": {"safety_stock": 0, "is_in_stock": qty > 0, "warning_level": 0, "bin_picking_number": ""},
                })
            return 200, {"data": data, "meta": meta}
