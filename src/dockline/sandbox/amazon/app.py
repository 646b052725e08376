"""The sandbox Selling Partner API (and its Login with Amazon token endpoint) as a WSGI app.

Follows Amazon's models (`../shared/specs/amazon/`; the tests validate every request and
answer against them): Orders v2026-01-01 searchOrders/getOrder (sections by `includedData`,
paged by `nextToken`), Orders v0 confirmShipment (204), Tokens createRestrictedDataToken,
Listings Items get/patch, Feeds (documents on presigned URLs under `/s3/`, processed when
created), and the Sellers API getMarketplaceParticipations (documented, not in the models).

As SP-API does: every call needs `x-amz-access-token` from `POST /auth/o2/token`
(expiring after `token_lifetime`); an operation whose role the seller did not grant
(`denied_roles`) is refused 403 Unauthorized, and without the Direct-to-Consumer Delivery
role the orders come without personal data. Each operation's usage plan is a token bucket
(rates times `rate_scale`, for quick tests), a request over it is answered 429, and every
answer states the rate in `x-amzn-RateLimit-Limit`. `faults` switches on latency, 429s,
5xx, dropped connections and requests applied whose answer is lost.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from datetime import datetime
from urllib.parse import parse_qs

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from dockline.sandbox.amazon.store import MARKETPLACES, AmazonSeller, iso
from dockline.sandbox.amazon.wire import PLANS, ROLES, Bucket, Exchange, Faults
from dockline.sandbox.http import dropped

PII_ROLE = "Direct-to-Consumer Delivery (Restricted)"
PII_ADDRESS = ("name", "addressLine1", "addressLine2", "addressLine3", "postalCode", "phone", "extendedFields")
PII_STATUSES = ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED")
SECTIONS = {"BUYER": "buyer", "RECIPIENT": "recipient", "FULFILLMENT": "fulfillment", "PACKAGES": "packages"}
ORDERS = "/orders/2026-01-01/orders"


def _rules() -> list[Rule]:
    return [
        Rule("/auth/o2/token", methods=["POST"], endpoint="lwa"),
        Rule("/sellers/v1/marketplaceParticipations", methods=["GET"], endpoint="getMarketplaceParticipations"),
        Rule(ORDERS, methods=["GET"], endpoint="searchOrders"),
        Rule(f"{ORDERS}/<order_id>", methods=["GET"], endpoint="getOrder"),
        Rule("/orders/v0/orders/<order_id>/shipmentConfirmation", methods=["POST"], endpoint="confirmShipment"),
        Rule("/tokens/2021-03-01/restrictedDataToken", methods=["POST"], endpoint="createRestrictedDataToken"),
        Rule("/listings/2021-08-01/items/<seller_id>/<path:sku>", methods=["GET"], endpoint="getListingsItem"),
        Rule("/listings/2021-08-01/items/<seller_id>/<path:sku>", methods=["PATCH"], endpoint="patchListingsItem"),
        Rule("/feeds/2021-06-30/documents", methods=["POST"], endpoint="createFeedDocument"),
        Rule("/feeds/2021-06-30/feeds", methods=["POST"], endpoint="createFeed"),
        Rule("/feeds/2021-06-30/feeds/<feed_id>", methods=["GET"], endpoint="getFeed"),
        Rule("/feeds/2021-06-30/documents/<doc_id>", methods=["GET"], endpoint="getFeedDocument"),
        Rule("/s3/<doc_id>", methods=["PUT", "GET"], endpoint="s3"),
    ]


def errors(status: int, code: str, message: str, details: str = "", headers: dict | None = None) -> Response:
    error = {"code": code, "message": message, **({"details": details} if details else {})}
    return Response(json.dumps({"errors": [error]}), status=status, mimetype="application/json", headers=headers)


def answer(body: dict | None, status: int = 200) -> Response:
    if body is None:
        return Response(status=status)
    return Response(json.dumps(body), status=status, mimetype="application/json")


class AmazonApp:
    def __init__(self, seller: AmazonSeller, client_id: str, client_secret: str, refresh_token: str, *,
                 rate_scale: float = 1.0, faults: Faults | None = None):
        self.seller = seller
        self.app_credentials = (client_id, client_secret)
        self.refresh_tokens = {refresh_token}
        self.rate_scale = rate_scale
        self.faults = faults or Faults()
        self.token_lifetime = 3600
        self.denied_roles: set[str] = set()
        self.tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self.rdts: dict[str, tuple[float, set[tuple[str, str]]]] = {}  # RDT -> (expiry, {(method, path)})
        self.buckets: dict[str, Bucket] = {}
        self.exchanges: list[Exchange] = []
        self.throttled: list[str] = []  # operations answered 429 because of their usage plan
        self.url_map = Map(_rules())
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        if response is None:  # the connection drops before an answer
            response = dropped(environ)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response | None:
        try:
            endpoint, values = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException:
            return errors(404, "NotFound", "Resource not found.")
        if self.faults.latency:
            time.sleep(self.faults.latency)
        fault = self.faults.take(endpoint) if endpoint not in ("lwa", "s3") else None
        if fault and fault[0] == "drop":
            return None
        if fault and fault[0] == "throttle":
            return self._throttled(endpoint)
        if fault and fault[0] == "fail":
            return errors(fault[1], "InternalFailure", "We encountered an internal error. Please try again.")
        response = self._answer(request, endpoint, values)
        with self.lock:
            self.exchanges.append(Exchange(endpoint, request.method, request.path, request.query_string.decode(),
                                           request.content_type or "", request.get_data(), response.status_code,
                                           response.mimetype or "", response.get_data()))
        if fault and fault[0] == "lose":
            return None
        return response

    def _throttled(self, operation: str) -> Response:
        return errors(429, "QuotaExceeded", "You exceeded your quota for the requested resource.",
                      headers={"x-amzn-RateLimit-Limit": self._rate(operation)})

    def _rate(self, operation: str) -> str:
        return f"{PLANS[operation][0] * self.rate_scale:g}"

    def _answer(self, request: Request, endpoint: str, values: dict) -> Response:
        if endpoint == "lwa":
            return self.lwa(request)
        if endpoint == "s3":
            return self.s3(request, values["doc_id"])
        token = request.headers.get("x-amz-access-token", "")
        if not self._authorized(token, request):
            return errors(403, "Unauthorized", "Access to requested resource is denied.",
                          "The access token you provided is revoked, malformed or invalid.")
        if ROLES.get(endpoint) in self.denied_roles:
            return errors(403, "Unauthorized", "Access to requested resource is denied.")
        with self.lock:
            rate, burst = PLANS[endpoint]
            bucket = self.buckets.setdefault(endpoint, Bucket(rate * self.rate_scale, burst))
            allowed = bucket.take()
            if not allowed:
                self.throttled.append(endpoint)
        if not allowed:
            return self._throttled(endpoint)
        body = None
        if request.method in ("POST", "PATCH", "PUT"):
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError:
                return errors(400, "InvalidInput", "The request body is not valid JSON.")
            if not isinstance(body, dict):
                return errors(400, "InvalidInput", "The request body must be a JSON object.")
        with self.seller.lock:
            response = getattr(self, endpoint)(request, body, **values)
        response.headers["x-amzn-RateLimit-Limit"] = self._rate(endpoint)
        response.headers["x-amzn-RequestId"] = secrets.token_hex(8)
        return response

    def _authorized(self, token: str, request: Request) -> bool:
        now = time.monotonic()
        with self.lock:
            if self.tokens.get(token, 0) > now:
                return True
            rdt = self.rdts.get(token)
        return bool(rdt and rdt[0] > now and (request.method, request.path) in rdt[1])

    # ------------------------------------------------------------ Login with Amazon
    def lwa(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        if (form.get("client_id"), form.get("client_secret")) != self.app_credentials:
            return Response(json.dumps({"error": "invalid_client", "error_description": "Client authentication "
                                        "failed"}), status=401, mimetype="application/json")
        if form.get("grant_type") != "refresh_token":
            return Response(json.dumps({"error": "unsupported_grant_type", "error_description": "The authorization "
                                        "grant type is not supported"}), status=400, mimetype="application/json")
        if form.get("refresh_token") not in self.refresh_tokens:
            return Response(json.dumps({"error": "invalid_grant", "error_description": "The request has an invalid "
                                        "grant parameter : refresh_token"}), status=400, mimetype="application/json")
        token = "Atza|" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
        return answer({"access_token": token, "refresh_token": form["refresh_token"], "token_type": "bearer",
                       "expires_in": self.token_lifetime})

    # ------------------------------------------------------------ Sellers
    def getMarketplaceParticipations(self, request: Request, body) -> Response:
        payload = []
        for mid, (country, name, currency, language, domain) in MARKETPLACES.items():
            payload.append({"marketplace": {"id": mid, "countryCode": country, "name": name,
                                            "defaultCurrencyCode": currency, "defaultLanguageCode": language,
                                            "domainName": domain},
                            "storeName": "Sandbox Store",
                            "participation": {"isParticipating": mid in self.seller.marketplaces,
                                              "hasSuspendedListings": False}})
        return answer({"payload": payload})

    # ------------------------------------------------------------ Orders
    def _view(self, order: dict, included: set[str]) -> dict:
        """The order as Amazon answers it: base fields, the sections asked for, personal data only with the role."""
        view = {k: v for k, v in order.items() if k not in ("buyer", "recipient", "fulfillment", "packages",
                                                             "orderItems")}
        fulfillment = order["fulfillment"]
        pii = (PII_ROLE not in self.denied_roles and fulfillment["fulfilledBy"] == "MERCHANT"
               and fulfillment["fulfillmentStatus"] in PII_STATUSES)  # Amazon: "Access Orders PII"
        items = []
        for item in order["orderItems"]:
            shown = {k: v for k, v in item.items() if k != "fulfillment"}
            if "FULFILLMENT" in included:
                f = json.loads(json.dumps(item["fulfillment"]))
                if not pii and "packing" in f:
                    f["packing"]["giftOption"].pop("giftMessage", None)
                shown["fulfillment"] = f
            items.append(shown)
        view["orderItems"] = items
        for name, key in SECTIONS.items():
            if name in included and key in order:
                view[key] = json.loads(json.dumps(order[key]))
        if not pii:
            for key in PII_ADDRESS:
                view.get("recipient", {}).get("deliveryAddress", {}).pop(key, None)
            for key in ("buyerName", "buyerEmail"):
                view.get("buyer", {}).pop(key, None)
        return view

    def searchOrders(self, request: Request, body) -> Response:
        args = {k: request.args.get(k) for k in request.args}
        given = [k for k in ("createdAfter", "lastUpdatedAfter") if args.get(k)]
        if len(given) != 1:
            return errors(400, "InvalidInput", "Exactly one of createdAfter and lastUpdatedAfter must be given.")
        if given == ["lastUpdatedAfter"] and args.get("createdBefore"):
            return errors(400, "InvalidInput", "createdBefore may not be given with lastUpdatedAfter.")
        try:
            size = int(args.get("maxResultsPerPage") or 100)
        except ValueError:
            size = 0
        if not 1 <= size <= 100:
            return errors(400, "InvalidInput", "maxResultsPerPage must be between 1 and 100.")
        criteria = {k: v for k, v in sorted(args.items()) if k not in ("paginationToken", "maxResultsPerPage",
                                                                          "includedData")}
        signature = hashlib.sha256(json.dumps(criteria).encode()).hexdigest()[:16]
        offset = 0
        if args.get("paginationToken"):
            try:
                token = json.loads(base64.urlsafe_b64decode(args["paginationToken"]))
                offset = int(token["offset"])
            except (ValueError, KeyError, TypeError):
                return errors(400, "InvalidInput", "The paginationToken is not valid.")
            if token.get("sig") != signature:
                return errors(400, "InvalidInput", "The other parameters must be those of the request that returned "
                                                   "the paginationToken.")
        try:
            since = iso(datetime.fromisoformat(args[given[0]].replace("Z", "+00:00")))
        except ValueError:
            return errors(400, "InvalidInput", f"{given[0]} must be an ISO 8601 date-time.")
        key = "createdTime" if given[0] == "createdAfter" else "lastUpdatedTime"
        statuses = set(filter(None, (args.get("fulfillmentStatuses") or "").split(",")))
        marketplaces = set(filter(None, (args.get("marketplaceIds") or "").split(",")))
        by = set(filter(None, (args.get("fulfilledBy") or "").split(",")))
        included = set(filter(None, (args.get("includedData") or "").split(",")))
        matches = sorted((o for o in self.seller.orders.values()
                          if o[key] >= since and (not statuses or o["fulfillment"]["fulfillmentStatus"] in statuses)
                          and (not marketplaces or o["salesChannel"]["marketplaceId"] in marketplaces)
                          and (not by or o["fulfillment"]["fulfilledBy"] in by)),
                         key=lambda o: (o["lastUpdatedTime"], o["orderId"]))
        page = matches[offset:offset + size]
        result = {"orders": [self._view(o, included) for o in page],
                  "lastUpdatedBefore" if key == "lastUpdatedTime" else "createdBefore": iso(self.seller.clock)}
        if offset + size < len(matches):
            token = base64.urlsafe_b64encode(json.dumps({"offset": offset + size, "sig": signature}).encode())
            result["pagination"] = {"nextToken": token.decode()}
        return answer(result)

    def getOrder(self, request: Request, body, order_id: str) -> Response:
        order = self.seller.orders.get(order_id)
        if order is None:
            return errors(404, "NotFound", f"Order {order_id} was not found.")
        included = set(filter(None, (request.args.get("includedData") or "").split(",")))
        return answer({"order": self._view(order, included)})

    def confirmShipment(self, request: Request, body: dict, order_id: str) -> Response:
        detail = body.get("packageDetail") or {}
        missing = [k for k in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems")
                   if k not in detail] + ([] if body.get("marketplaceId") else ["marketplaceId"])
        if missing:
            return errors(400, "InvalidInput", f"Missing required field(s): {', '.join(missing)}.")
        if order_id not in self.seller.orders:
            return errors(404, "NotFound", f"Order {order_id} was not found.")
        problem = self.seller.confirm(order_id, body)
        if problem:
            return errors(400, "InvalidInput", problem)
        return answer(None, 204)

    # ------------------------------------------------------------ Tokens
    def createRestrictedDataToken(self, request: Request, body: dict) -> Response:
        resources = body.get("restrictedResources") or []
        if not resources:
            return errors(400, "InvalidInput", "restrictedResources must name at least one resource.")
        token = "Atz.sprdt|" + secrets.token_urlsafe(24)
        with self.lock:
            self.rdts[token] = (time.monotonic() + 3600, {(r.get("method"), r.get("path")) for r in resources})
        return answer({"restrictedDataToken": token, "expiresIn": 3600})

    # ------------------------------------------------------------ Listings
    def getListingsItem(self, request: Request, body, seller_id: str, sku: str) -> Response:
        listing = self.seller.listings.get(sku) if seller_id == self.seller.seller_id else None
        if listing is None:
            return errors(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace {request.args.get('marketplaceIds')}")
        return answer({"sku": sku, "summaries": [{"marketplaceId": request.args.get("marketplaceIds") or "",
                                                   "asin": "B000000000", "productType": "PRODUCT",
                                                   "itemName": listing["title"], "status": ["BUYABLE"],
                                                   "createdDate": "2026-01-01T00:00:00Z",
                                                   "lastUpdatedDate": "2026-01-01T00:00:00Z"}]})

    def patchListingsItem(self, request: Request, body: dict, seller_id: str, sku: str) -> Response:
        if seller_id != self.seller.seller_id:
            return errors(403, "Unauthorized", "Access to requested resource is denied.")
        if not body.get("productType") or not body.get("patches"):
            return errors(400, "InvalidInput", "productType and patches are required.")
        patch = next((p for p in body["patches"] if p.get("path") == "/attributes/fulfillment_availability"), None)
        quantity = ((patch or {}).get("value") or [{}])[0].get("quantity")
        issues = self.seller.set_quantity(sku, quantity)
        return answer({"sku": sku, "status": "INVALID" if issues else "ACCEPTED",
                       "submissionId": secrets.token_hex(16), "issues": issues})

    # ------------------------------------------------------------ Feeds
    def createFeedDocument(self, request: Request, body: dict) -> Response:
        if not body.get("contentType"):
            return errors(400, "InvalidInput", "contentType is required.")
        doc_id = self.seller.next_id("amzn1.tortuga.4.na.")
        self.seller.documents[doc_id] = {"content_type": body["contentType"], "content": b""}
        return answer({"feedDocumentId": doc_id, "url": f"{request.host_url}s3/{doc_id}"}, 201)

    def createFeed(self, request: Request, body: dict) -> Response:
        if body.get("inputFeedDocumentId") not in self.seller.documents:
            return errors(400, "InvalidInput", "inputFeedDocumentId does not name an uploaded feed document.")
        feed_id = self.seller.next_id("5000")
        self.seller.feeds[feed_id] = {"feedId": feed_id, "feedType": body.get("feedType"),
                                      "marketplaceIds": body.get("marketplaceIds") or [],
                                      "createdTime": iso(self.seller.tick()), "processingStatus": "IN_QUEUE",
                                      "inputFeedDocumentId": body["inputFeedDocumentId"]}
        return answer({"feedId": feed_id}, 202)

    def getFeed(self, request: Request, body, feed_id: str) -> Response:
        feed = self.seller.feeds.get(feed_id)
        if feed is None:
            return errors(404, "NotFound", f"Feed {feed_id} was not found.")
        if feed["processingStatus"] == "IN_QUEUE":
            feed["processingStatus"] = "IN_PROGRESS"  # the next look finds it done
        elif feed["processingStatus"] == "IN_PROGRESS":
            self.seller.process_feed(feed_id)
        return answer({k: v for k, v in feed.items() if k != "inputFeedDocumentId"})

    def getFeedDocument(self, request: Request, body, doc_id: str) -> Response:
        if doc_id not in self.seller.documents:
            return errors(404, "NotFound", f"Feed document {doc_id} was not found.")
        return answer({"feedDocumentId": doc_id, "url": f"{request.host_url}s3/{doc_id}"})

    def s3(self, request: Request, doc_id: str) -> Response:
        """The presigned document URLs: PUT the feed's contents, GET a processing report."""
        with self.seller.lock:
            document = self.seller.documents.get(doc_id)
            if document is None:
                return Response("NoSuchKey", status=404)
            if request.method == "PUT":
                document["content"] = request.get_data()
                return Response(status=200)
            return Response(document["content"], mimetype=document["content_type"])
