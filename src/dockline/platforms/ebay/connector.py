"""eBay store connector: the Sell Fulfillment API for orders and shipments, the Sell Inventory API for stock.

Built from eBay's OpenAPI contracts (sell_fulfillment_v1_oas3.json, sell_inventory_v1_oas3.json):

* Orders: `GET /order` filtered by `lastmodifieddate:[since..now]` (the engine's overlap is in `since`)
  and `orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}`, read by `limit`/`offset` within a window whose
  end is fixed when the import starts, so pages do not shift. An order whose cancellation was requested
  or done (`cancelStatus.cancelState` other than NONE_REQUESTED) comes marked cancelled, never to be sent. The warehouse gets
  eBay's shipping service (`shippingStep.shippingServiceCode`) as the shipping method and the ship-by
  and deliver-by dates in the order notes.
* Shipments: one `createShippingFulfillment` per package (tracking number) with the shipment's own lines;
  the order's fulfillments are read first, so a retry after a lost answer never creates a second one.
* Stock: `bulkUpdatePriceQuantity`, at most 25 SKUs a call, each SKU's own status read back: a SKU eBay
  refuses is skipped with eBay's words. Listings made outside the Inventory API (Seller Hub, Trading API,
  other tools) are unknown to it; they are reported as not synced, with what to do (docs/platforms/ebay.md).

The JSON of each call is made and read by the pure functions of `mapping.py`.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import quote

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import PushResult, StockUpdate, StoreOrder, StoreShipment
from dockline.platforms.base import Capability, CheckReport, CredentialField, StoreConnector, parse_time, register
from dockline.platforms.ebay.client import (
    DEFAULT_API_BASE,
    FULFILLMENT,
    INVENTORY,
    SCOPES,
    EbayClient,
    EbayError,
)
from dockline.platforms.ebay.mapping import (
    ebay_time,
    fulfillment_body,
    stock_body,
    stock_outcome,
    to_store_order,
)
from dockline.platforms.ebay.oauth import DEFAULT_AUTH_BASE

log = logging.getLogger(__name__)

PAGE = 200  # orders per getOrders page (the contract allows up to 1000)
STOCK_BATCH = 25  # "update the total 'ship-to-home' quantity of one or more inventory items (up to 25)"
REFRESH_TOKEN_LIFE = timedelta(days=548)  # about 18 months, as eBay issues them
REAUTH_WARNING = timedelta(days=30)
MARKETPLACES = ("EBAY_US", "EBAY_CA", "EBAY_GB", "EBAY_AU", "EBAY_DE", "EBAY_FR", "EBAY_IT", "EBAY_ES",
                "EBAY_MOTORS_US")


def _fingerprint(refresh_token: str | None) -> str:
    return hashlib.sha256((refresh_token or "").strip().encode()).hexdigest()[:16]


@register
class EbayConnector(StoreConnector):
    """One eBay seller account on one marketplace."""

    platform: ClassVar[str] = "ebay"
    label: ClassVar[str] = "eBay"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.ORDERS, Capability.SHIPMENTS, Capability.INVENTORY})
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("client_id", "App ID (Client ID)", help="Your eBay application's production App ID "
                        "(developer.ebay.com > Application Keys)."),
        CredentialField("client_secret", "Cert ID (Client Secret)", secret=True,
                        help="The production Cert ID of the same application."),
        CredentialField("ru_name", "RuName", required=False,
                        help="The application's eBay Redirect URL name, whose accepted and declined URLs are "
                             "Dockline's /ebay/auth/; needed for the merchant's consent on eBay's page."),
        CredentialField("refresh_token", "Refresh Token", secret=True, required=False,
                        help="Leave empty and let the merchant consent on eBay's page (/ebay/consent/<store>/), "
                             "which fills it in; or paste a user refresh token with the sell.fulfillment and "
                             "sell.inventory scopes."),
        CredentialField("refresh_token_expires", "Refresh token expires", required=False,
                        help="When eBay said the refresh token ends (refresh_token_expires_in), e.g. 2028-06-01; "
                             "18 months from today when empty. The consent fills it in."),
    )
    settings_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("marketplace_id", "Marketplace", required=False, default="EBAY_US",
                        help="The eBay site the listings are on: " + ", ".join(MARKETPLACES) + "."),
        CredentialField("api_base", "API base URL", required=False, default=DEFAULT_API_BASE),
        CredentialField("auth_base", "Consent page base URL", required=False, default=DEFAULT_AUTH_BASE),
    )

    def __init__(self, credentials: dict, settings: dict, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, call_limits: dict | None = None) -> None:
        """`sleep`, `clock`: what waits and what tells the time (tests pass their own);
        `call_limits`: api -> (calls, seconds) instead of eBay's daily limits."""
        self.credentials = dict(credentials or {})
        settings = settings or {}
        self.marketplace = (settings.get("marketplace_id") or "EBAY_US").strip().upper()
        self._clock = clock
        c = self.credentials
        self.client = EbayClient(
            (c.get("client_id") or "").strip(), c.get("client_secret") or "", (c.get("refresh_token") or "").strip(),
            token=self._own_token(c), on_token=self._token_changed,
            api_base=settings.get("api_base") or DEFAULT_API_BASE, marketplace=self.marketplace,
            call_limits=call_limits, sleep=sleep, clock=clock)
        self.save_credentials = lambda credentials: None  # replaced by Store.connector()
        self.load_credentials = lambda: self.credentials
        self.order_cursor: dict = {}

    def __repr__(self) -> str:  # never shows the secret or tokens
        return f"<EbayConnector {self.credentials.get('client_id', '')!r} {self.marketplace}>"

    # ---------------------------------------------------------------- credentials
    @staticmethod
    def _own_token(credentials: dict) -> dict | None:
        """The stored access token, if it was issued for the refresh token stored with it (a new consent or
        a pasted token makes the old access token someone else's)."""
        token = credentials.get("access_token") or {}
        return token if token.get("for") == _fingerprint(credentials.get("refresh_token")) else None

    def _token_changed(self, token: dict) -> None:
        """Keep the new access token with the credentials as stored now, so other workers reuse it until it
        ends; unless the merchant consented again meanwhile (another refresh token is stored): theirs stays."""
        stored = self.load_credentials() or {}
        if stored.get("refresh_token", "") != self.credentials.get("refresh_token", ""):
            return
        if not self.credentials.get("refresh_token_expires"):
            self.credentials["refresh_token_expires"] = self.refresh_token_expires().date().isoformat()
        token = {**token, "for": _fingerprint(self.credentials.get("refresh_token"))}
        self.credentials = {**stored, "access_token": token,
                            "refresh_token_expires": self.credentials["refresh_token_expires"]}
        self.save_credentials(dict(self.credentials))

    def refresh_token_expires(self) -> datetime:
        """When the refresh token ends: as entered, else 18 months from now (eBay's lifetime)."""
        entered = parse_time(self.credentials.get("refresh_token_expires"))
        return entered or datetime.fromtimestamp(self._clock(), UTC) + REFRESH_TOKEN_LIFE

    def reauthorization_warning(self) -> str | None:
        """What to tell the merchant when the refresh token ends within 30 days (None when it does not);
        the engine and alerts read it, Test Connection and every import say it."""
        ends = self.refresh_token_expires()
        left = ends - datetime.fromtimestamp(self._clock(), UTC)
        if left > REAUTH_WARNING:
            return None
        if left.total_seconds() <= 0:
            return (f"eBay's authorization for Dockline ended on {ends:%Y-%m-%d}: the merchant must consent again "
                    "on eBay's page and the new refresh token be entered.")
        return (f"eBay's authorization for Dockline ends on {ends:%Y-%m-%d} (in {left.days} days): the merchant "
                "should consent again on eBay's page and the new refresh token be entered before then.")

    def _require_token(self) -> None:
        if not str(self.credentials.get("refresh_token") or "").strip():
            raise ConnectorError("No eBay refresh token yet: let the merchant consent on eBay's page (Dockline's "
                                 "/ebay/consent/<store id>/ address) or paste a refresh token.", ErrorKind.REAUTH)

    # ---------------------------------------------------------------- test connection
    def test_connection(self) -> CheckReport:
        report = CheckReport()
        try:
            self._require_token()
            self.client.renew(force=True)
        except ConnectorError as exc:
            if getattr(exc, "oauth_error", "") != "invalid_scope":
                report.add("Refresh token", False, exc.message)
                return report
            report.add("Refresh token", True, "eBay accepted the refresh token.")
            report.add("Scopes", False, self._missing_scopes())
            return report
        report.add("Refresh token", True, "eBay accepted the refresh token and issued an access token.")
        probes = ((FULFILLMENT + "/order", {"limit": "1"}), (INVENTORY + "/inventory_item", {"limit": "1"}))
        try:
            for path, params in probes:
                self.client.get(path, params)
        except ConnectorError as exc:
            report.add("Scopes", False, exc.message)
            return report
        report.add("Scopes", True, "Orders, shipments and inventory may be read and written: " + ", ".join(SCOPES))
        known = self.marketplace in MARKETPLACES
        report.add("Marketplace", known, f"{self.marketplace}." if known else
                   f"{self.marketplace!r} is not an eBay marketplace: use one of {', '.join(MARKETPLACES)}.")
        typed = str(self.credentials.get("refresh_token_expires") or "").strip()
        if typed and parse_time(typed) is None:
            report.add("Authorization lifetime", False, f"Refresh token expires: {typed!r} is not a date like "
                       "2028-06-01 (eBay's refresh_token_expires_in counted from the consent).")
            return report
        warning = self.reauthorization_warning()
        ends = self.refresh_token_expires()
        report.add("Authorization lifetime", True, f"Warning: {warning}" if warning else
                   f"The refresh token is good until {ends:%Y-%m-%d}.")
        return report

    def _missing_scopes(self) -> str:
        missing = []
        for scope, what in SCOPES.items():
            try:
                self.client.renew([scope])
            except ConnectorError:
                missing.append(f"{what} ({scope})")
        return ("The merchant's consent lacks " + "; ".join(missing or ["a scope Dockline needs"]) +
                ": consent again on eBay's page and grant every scope Dockline lists.")

    # ---------------------------------------------------------------- orders
    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Paid orders not yet fully shipped, modified since `since`, oldest first; cancelled ones marked so."""
        self._require_token()
        warning = self.reauthorization_warning()
        if warning:
            log.warning("eBay %s: %s", self.credentials.get("client_id", ""), warning)
        until = datetime.fromtimestamp(self._clock(), UTC)
        status = "orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}"
        window = f"lastmodifieddate:[{ebay_time(since)}..{ebay_time(until)}]," if since else ""
        found, offset = {}, 0
        while True:
            page = self.client.get(FULFILLMENT + "/order", {"filter": window + status, "limit": str(PAGE),
                                                            "offset": str(offset)}) or {}
            orders = page.get("orders") or []
            for order in orders:
                found[order["orderId"]] = order
            offset += len(orders)
            if not orders or offset >= int(page.get("total") or 0):
                break
        # An order with a cancellation requested or done comes marked `cancelled`: the import never sends it,
        # and asks the warehouse to cancel it if it was sent.
        yield from sorted((to_store_order(order) for order in found.values()), key=lambda o: o.modified_at)

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        """Nothing to do: eBay keeps no queue of orders to acknowledge."""

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """Nothing to do: eBay has no status for an order handed to a warehouse."""

    # ---------------------------------------------------------------- shipments
    def _fulfillments(self, order_id: str) -> list[dict]:
        path = f"{FULFILLMENT}/order/{quote(order_id, safe='')}/shipping_fulfillment"
        return (self.client.get(path) or {}).get("fulfillments") or []

    @staticmethod
    def _match(fulfillments: list[dict], body: dict) -> str | None:
        """The fulfillment already made for this package: same tracking number, or (none) the same lines."""
        tracking = body.get("trackingNumber")
        lines = sorted((x["lineItemId"], x["quantity"]) for x in body["lineItems"])
        for f in fulfillments:
            if tracking and f.get("shipmentTrackingNumber") == tracking:
                return f.get("fulfillmentId")
            if not tracking and not f.get("shipmentTrackingNumber") and \
                    sorted((x.get("lineItemId"), x.get("quantity")) for x in f.get("lineItems") or []) == lines:
                return f.get("fulfillmentId")
        return None

    def post_shipment(self, shipment: StoreShipment) -> str:
        """One fulfillment per package with the shipment's lines; returns the first fulfillment id.

        Idempotent: the order's fulfillments are read first and a package whose tracking number is
        already there is not posted again; when a POST's answer is lost, they are read again before
        the error is raised, so a fulfillment that was made is taken, not made twice.
        """
        order_id = shipment.order_external_id
        path = f"{FULFILLMENT}/order/{quote(order_id, safe='')}/shipping_fulfillment"
        existing = self._fulfillments(order_id)
        ids = []
        for tracking in dict.fromkeys(shipment.tracking_numbers or [""]):
            body = fulfillment_body(shipment, tracking)
            done = self._match(existing, body)
            if done is None:
                try:
                    response = self.client.post(path, body)
                except EbayError as exc:
                    if exc.kind is not ErrorKind.RETRYABLE:
                        raise
                    existing = self._fulfillments(order_id)
                    done = self._match(existing, body)
                    if done is None:
                        raise
                else:
                    done = response.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
                    existing.append({"fulfillmentId": done, "shipmentTrackingNumber": tracking,
                                     "lineItems": body["lineItems"]})
            ids.append(done)
        return ids[0]

    # ---------------------------------------------------------------- stock
    def push_stock(self, updates: list[StockUpdate]) -> PushResult:
        """Ship-to-home quantities, 25 SKUs a call; idempotent: each call sets the quantity, never adds."""
        result = PushResult()
        latest = list({u.sku: u for u in updates}.values())  # one request per SKU per call
        for start in range(0, len(latest), STOCK_BATCH):
            chunk = latest[start:start + STOCK_BATCH]
            response = self.client.post(INVENTORY + "/bulk_update_price_quantity", stock_body(chunk))
            stock_outcome(chunk, response.json() if response.content else None, result)
        for sku, reason in result.skipped:
            log.info("eBay SKU %s not synced: %s", sku, reason)
        return result

    def close(self) -> None:
        self.client.close()
