"""The sandbox eBay Sell APIs as a WSGI app: OAuth token endpoint, Fulfillment v1 and Inventory v1.

Follows eBay's OpenAPI contracts (sell_fulfillment_v1_oas3.json, sell_inventory_v1_oas3.json):
`GET /sell/fulfillment/v1/order` (filter `lastmodifieddate:[a..b]`, `orderfulfillmentstatus:{...}`,
`limit` up to 1000, `offset`), `GET|POST /sell/fulfillment/v1/order/{orderId}/shipping_fulfillment`
(201 with a Location header), `GET /sell/inventory/v1/inventory_item`, and
`POST /sell/inventory/v1/bulk_update_price_quantity` (up to 25 requests; each SKU's own statusCode
and errors, 207 when some failed). Bearer user tokens with the scopes the refresh token was granted
(`POST /identity/v1/oauth2/token`, HTTP Basic with App ID and Cert ID, refresh-token and
authorization-code grants) and a consent page that always agrees (`GET /oauth2/authorize`, back to the
RuName's URL in `store.ru_names` with a code); errors are eBay's
`{"errors": [{"errorId", "domain", "category", "message", "longMessage"}]}`.

`faults` switches on failure modes for the next requests: latency, 429, 5xx, dropped connections
and "applied but answer lost"; `call_limits` makes the sandbox refuse with 429 beyond a rate.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from dockline.sandbox.ebay.store import REFRESH_TOKEN_LIFE, SCOPE_FULFILLMENT, SCOPE_INVENTORY, EbayStore
from dockline.sandbox.http import dropped

FULFILLMENT = "/sell/fulfillment/v1"
INVENTORY = "/sell/inventory/v1"
_FULFILLMENTS = re.compile(rf"^{FULFILLMENT}/order/([^/]+)/shipping_fulfillment$")
_FILTER = re.compile(r"(\w+):(\[[^\]]*\]|\{[^}]*\})")
MAX_LIMIT = 1000
MAX_BULK = 25


@dataclass
class Fault:
    kind: str  # "status", "drop", "lose"
    status: int = 0
    method: str = ""  # "" = any
    path: str = ""  # a part of the path; "" = any
    times: int = 1


@dataclass
class Faults:
    """Switchable failures for the next matching requests, and `latency` added to every answer."""

    latency: float = 0.0
    pending: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int = 500, times: int = 1, method: str = "", path: str = "") -> None:
        """The next requests answer `status` (429 for a rate limit, 5xx for a server error)."""
        self._add(Fault("status", status, method.upper(), path, times))

    def drop_next(self, times: int = 1, method: str = "", path: str = "") -> None:
        """The next requests see the connection closed without an answer (and are not carried out)."""
        self._add(Fault("drop", 0, method.upper(), path, times))

    def lose_answer_next(self, times: int = 1, method: str = "", path: str = "") -> None:
        """The next requests are carried out, then the connection drops before the answer."""
        self._add(Fault("lose", 0, method.upper(), path, times))

    def _add(self, fault: Fault) -> None:
        with self.lock:
            self.pending.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.pending:
                if fault.times > 0 and fault.method in ("", method) and fault.path in path:
                    fault.times -= 1
                    return fault
        return None


def errors(status: int, error_id: int, message: str, long: str = "", *, domain: str = "API_FULFILLMENT",
           category: str = "REQUEST", headers: dict | None = None) -> Response:
    body = {"errors": [{"errorId": error_id, "domain": domain, "category": category, "message": message,
                        "longMessage": long or message}]}
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


class EbayApp:
    def __init__(self, store: EbayStore, faults: Faults | None = None,
                 call_limits: dict[str, tuple[int, float]] | None = None):
        self.store = store
        self.faults = faults or Faults()
        self.call_limits = call_limits or {}  # api -> (calls, seconds): beyond it, 429
        self._calls: dict[str, list[float]] = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        fault = self.faults.take(request.method, request.path)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        if fault and fault.kind == "status":
            response = self._fault(fault.status)
        elif fault and fault.kind == "drop":
            response = None
        else:
            response = self.handle(request)
            if fault and fault.kind == "lose":
                response = None
        with self.store.lock:
            self.store.log.append((request.method, request.path, request.query_string.decode(),
                                   response.status_code if response else 0))
        if response is None:  # the connection goes before any answer
            response = dropped(environ)
        return response(environ, start_response)

    @staticmethod
    def _fault(status: int) -> Response:
        if status == 429:
            return errors(429, 2001, "Too many requests. The request limit has been reached for the resource.",
                          domain="ACCESS", headers={"Retry-After": "1"})
        return errors(status, 30500, "System error", domain="API_FULFILLMENT", category="APPLICATION")

    # ---------------------------------------------------------------- routing
    def handle(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/identity/v1/oauth2/token" and method == "POST":
            return self.token(request)
        if path == "/oauth2/authorize" and method == "GET":
            return self.authorize(request)
        api = "inventory" if path.startswith(INVENTORY) else "fulfillment" if path.startswith(FULFILLMENT) else None
        if api is None:
            return errors(404, 2002, "Resource not found", domain="API_FULFILLMENT")
        scopes = self.store.scopes_of(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if scopes is None:
            return errors(401, 1001, "Invalid access token",
                          "Invalid access token. Check the value of the Authorization HTTP request header.",
                          domain="OAuth")
        if (SCOPE_INVENTORY if api == "inventory" else SCOPE_FULFILLMENT) not in scopes:
            return errors(403, 1100, "Access denied", "Insufficient permissions to fulfill the request.",
                          domain="ACCESS")
        if self._over_limit(api):
            return self._fault(429)
        if path == FULFILLMENT + "/order" and method == "GET":
            return self.get_orders(request)
        match = _FULFILLMENTS.match(path)
        if match and method in ("GET", "POST"):
            return self.fulfillments(request, match.group(1))
        if path == INVENTORY + "/inventory_item" and method == "GET":
            return self.inventory_items(request)
        if path == INVENTORY + "/bulk_update_price_quantity" and method == "POST":
            return self.bulk_update(request)
        return errors(404, 2002, "Resource not found")

    def _over_limit(self, api: str) -> bool:
        if api not in self.call_limits:
            return False
        calls, seconds = self.call_limits[api]
        now = time.monotonic()
        with self.store.lock:
            recent = [t for t in self._calls.get(api, []) if t > now - seconds]
            over = len(recent) >= calls
            if not over:
                recent.append(now)
            self._calls[api] = recent
            return over

    # ---------------------------------------------------------------- OAuth
    def token(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        try:
            client_id, _, secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if (client_id, secret) != (self.store.client_id, self.store.client_secret):
            return answer({"error": "invalid_client", "error_description": "client authentication failed"}, 401)
        form = request.form
        if form.get("grant_type") == "authorization_code":
            refresh = self.store.redeem(form.get("code", ""), form.get("redirect_uri", ""))
            if refresh is None:
                return answer({"error": "invalid_grant", "error_description": "the provided authorization grant "
                               "code is invalid or was issued to another client"}, 400)
            access, _ = self.store.issue(refresh, self.store.refresh_tokens[refresh]["scopes"])
            return answer({"access_token": access, "expires_in": 7200, "refresh_token": refresh,
                           "refresh_token_expires_in": REFRESH_TOKEN_LIFE, "token_type": "User Access Token"})
        if form.get("grant_type") != "refresh_token":
            return answer({"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400)
        scopes = set((form.get("scope") or "").split())
        token, problem = self.store.issue(form.get("refresh_token", ""), scopes)
        if token is None:
            words = {"invalid_grant": "the provided authorization refresh token is invalid or was issued to another "
                                      "client",
                     "invalid_scope": "The requested scope is invalid, unknown, malformed, or exceeds the scope "
                                      "granted to the client"}
            return answer({"error": problem, "error_description": words[problem]}, 400)
        return answer({"access_token": token, "expires_in": 7200, "token_type": "User Access Token"})

    def authorize(self, request: Request) -> Response:
        """eBay's consent page, where the merchant always agrees: back to the RuName's URL with a code."""
        args = request.args
        accepted = self.store.ru_names.get(args.get("redirect_uri", ""))
        if args.get("client_id") != self.store.client_id or accepted is None or args.get("response_type") != "code":
            return Response("The application or its RuName is not known to eBay.", status=400)
        code = self.store.consent(args["redirect_uri"], set((args.get("scope") or "").split()))
        query = urlencode({"state": args.get("state", ""), "code": code, "expires_in": 299})
        return Response(status=302, headers={"Location": f"{accepted}?{query}"})

    # ---------------------------------------------------------------- Fulfillment API
    def get_orders(self, request: Request) -> Response:
        try:
            limit = int(request.args.get("limit", 50))
            offset = int(request.args.get("offset", 0))
        except ValueError:
            return errors(400, 30830, "The specified limit or offset is invalid.")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return errors(400, 30830, f"The limit must be between 1 and {MAX_LIMIT}; the offset 0 or more.")
        wanted = _FILTER.findall(request.args.get("filter", ""))
        with self.store.lock:
            orders = list(self.store.orders.values())
        for name, value in wanted:
            if name == "lastmodifieddate" and value.startswith("["):
                # eBay's one timestamp format (...T09:00:00.000Z) orders the same as text
                low, _, high = (v.strip() for v in value[1:-1].partition(".."))
                orders = [o for o in orders if low <= o["lastModifiedDate"]
                          and (not high or o["lastModifiedDate"] <= high)]
            elif name == "orderfulfillmentstatus" and value.startswith("{"):
                states = set(value[1:-1].split("|"))
                orders = [o for o in orders if o["orderFulfillmentStatus"] in states]
            else:
                return errors(400, 30800, f"Invalid filter name or value: {name}:{value}")
        orders.sort(key=lambda o: o["creationDate"], reverse=True)  # newest first, as eBay answers
        page = orders[offset:offset + limit]
        href = f"{request.host_url.rstrip('/')}{request.path}"
        body = {"href": f"{href}?limit={limit}&offset={offset}", "limit": limit, "offset": offset,
                "total": len(orders), "orders": json.loads(json.dumps(page))}
        if offset + limit < len(orders):
            body["next"] = f"{href}?limit={limit}&offset={offset + limit}"
        if offset:
            body["prev"] = f"{href}?limit={limit}&offset={max(0, offset - limit)}"
        return answer(body)

    def fulfillments(self, request: Request, order_id: str) -> Response:
        with self.store.lock:
            order = self.store.orders.get(order_id)
            if order is None:
                return errors(400, 32100, f"Invalid order ID: {order_id}")
            if request.method == "GET":
                made = self.store.fulfillments[order_id]
                return answer({"fulfillments": json.loads(json.dumps(made)), "total": len(made)})
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError:
                return errors(400, 32600, "Invalid input data")
            problem = self._fulfillment_problem(order, body)
            if problem:
                return errors(400, *problem)
            fulfillment_id = self.store.fulfil(order_id, body)
        location = f"{request.host_url.rstrip('/')}{request.path}/{fulfillment_id}"
        return answer({}, 201, {"Location": location})

    @staticmethod
    def _fulfillment_problem(order: dict, body) -> tuple[int, str] | None:
        if not isinstance(body, dict) or not isinstance(body.get("lineItems"), list) or not body["lineItems"]:
            return 32600, "Invalid input data: lineItems is required"
        ordered = {line["lineItemId"]: line["quantity"] for line in order["lineItems"]}
        for item in body["lineItems"]:
            if not isinstance(item, dict) or item.get("lineItemId") not in ordered:
                return 32200, "Invalid line item id"
            quantity = item.get("quantity")
            if not isinstance(quantity, int) or not 1 <= quantity <= ordered[item["lineItemId"]]:
                return 32200, f"Invalid quantity for line item {item['lineItemId']}"
        if bool(body.get("trackingNumber")) != bool(body.get("shippingCarrierCode")):
            return 32300, "Invalid shipment tracking number or carrier"
        if "shippedDate" in body and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                                                      str(body["shippedDate"])):
            return 32500, "Invalid shipped date"
        return None

    # ---------------------------------------------------------------- Inventory API
    def inventory_items(self, request: Request) -> Response:
        try:
            limit = int(request.args.get("limit", 100))
            page = int(request.args.get("offset", 0))
        except ValueError:
            return errors(400, 25709, "Invalid value for limit or offset.", domain="API_INVENTORY")
        with self.store.lock:
            skus = sorted(self.store.inventory)
            rows = [{"sku": sku, "locale": "en_US", "condition": "NEW",
                     "product": {"title": self.store.inventory[sku]["title"]},
                     "availability": {"shipToLocationAvailability": {
                         "quantity": self.store.inventory[sku]["quantity"]}}}
                    for sku in skus[page * limit:(page + 1) * limit]]
        return answer({"href": request.url, "limit": limit, "size": len(rows), "total": len(skus),
                       "inventoryItems": rows})

    def bulk_update(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return errors(400, 25709, "Invalid value for requests.", domain="API_INVENTORY")
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            return errors(400, 25709, "Invalid value for requests.", domain="API_INVENTORY")
        if len(requests) > MAX_BULK:
            return errors(400, 25709, f"Invalid value for requests. At most {MAX_BULK} may be sent in one call.",
                          domain="API_INVENTORY")
        responses = [self._set_quantity(r) for r in requests]
        failed = any(r["statusCode"] != 200 for r in responses)
        return answer({"responses": responses}, 207 if failed else 200)

    def _set_quantity(self, req) -> dict:
        sku = req.get("sku") if isinstance(req, dict) else None
        quantity = ((req or {}).get("shipToLocationAvailability") or {}).get("quantity")
        if not isinstance(sku, str) or not isinstance(quantity, int) or quantity < 0:
            return {"sku": str(sku or ""), "statusCode": 400, "errors": [{
                "errorId": 25709, "domain": "API_INVENTORY", "category": "REQUEST",
                "message": "Invalid value for shipToLocationAvailability.quantity."}]}
        with self.store.lock:
            item = self.store.inventory.get(sku)
            if item is None:
                return {"sku": sku, "statusCode": 404, "errors": [{
                    "errorId": 25702, "domain": "API_INVENTORY", "category": "REQUEST",
                    "message": f"SKU {sku} is not available in the system"}]}
            if quantity < item["auction"]:
                return {"sku": sku, "statusCode": 400, "errors": [{
                    "errorId": 25759, "domain": "API_INVENTORY", "category": "REQUEST",
                    "message": "shipToLocationAvailability quantity value should be greater than or equal to "
                               "auction allocation. Please provide valid quantity or unpublish auction offers of "
                               "the sku."}]}
            item["quantity"] = quantity
        return {"sku": sku, "statusCode": 200, "warnings": []}
