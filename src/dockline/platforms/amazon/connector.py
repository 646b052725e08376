"""Amazon (SP-API) store connector: merchant-fulfilled orders of one seller in one marketplace.

* Orders come from the Orders API v2026-01-01 `searchOrders` (items, fulfillment promises,
  recipient and packages in one answer; Amazon serves its personal data without a Restricted
  Data Token), by last-update time, `fulfilledBy=MERCHANT` and ready to ship (UNSHIPPED,
  PARTIALLY_SHIPPED), paged by `nextToken`. Amazon-fulfilled and cancelled orders are never
  imported, whatever a search returns.
* Shipments are confirmed with the Orders API v0 `confirmShipment` (the only model that has
  it), one package per shipment, after reading the order's packages (v2026 `getOrder`): a
  package already there is never confirmed again (see `post_shipment`).
* Stock goes to the Listings Items API, or as a JSON_LISTINGS_FEED when many SKUs change at
  once (`dockline.platforms.amazon.inventory`).
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Address, Destination, OrderLine, PushResult, StockUpdate, StoreOrder, StoreShipment
from dockline.platforms.amazon import inventory
from dockline.platforms.amazon.client import DEFAULT_API_BASE, DEFAULT_TOKEN_URL, AmazonClient, RoleDenied
from dockline.platforms.base import Capability, CheckReport, CredentialField, StoreConnector, parse_time, register

US_MARKETPLACE = "ATVPDKIKX0DER"
ORDERS = "/orders/2026-01-01/orders"
READY = ("UNSHIPPED", "PARTIALLY_SHIPPED")
CANCELLED = "CANCELLED"
INCLUDED = ("RECIPIENT", "FULFILLMENT", "PACKAGES", "BUYER")
FIRST_IMPORT = timedelta(days=30)  # how far back the first import looks
DESTINATION_REF = "shipping"  # an Amazon order has one ship-to address
DEFAULT_FEED_THRESHOLD = 30
# Amazon's carrier codes (confirmShipment `carrierCode`) for the carrier names and SCACs warehouses send.
CARRIER_CODES = {
    "UPS": "UPS", "UPSN": "UPS", "UPS MAIL INNOVATIONS": "UPSMI", "USPS": "USPS", "FEDEX": "FedEx",
    "FDXE": "FedEx", "FDEG": "FedEx", "FXFE": "FedEx", "FEDEX SMARTPOST": "FedEx SmartPost", "DHL": "DHL",
    "DHLE": "DHL", "DHL ECOMMERCE": "DHL eCommerce", "ONTRAC": "OnTrac", "OTRC": "OnTrac", "LASERSHIP": "Lasership",
    "AMAZON": "Amazon Shipping", "AMZL": "Amazon Shipping", "CANADA POST": "Canada Post",
}


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(money: dict | None) -> Decimal:
    try:
        return Decimal(str((money or {}).get("amount") or 0))
    except InvalidOperation:
        return Decimal("0")


def service_level(order: dict) -> str:
    """The shipping speed the buyer chose, in words for shipping rules: NEXT_DAY -> "Next Day"."""
    level = ((order.get("fulfillment") or {}).get("fulfillmentServiceLevel") or "STANDARD")
    return level.replace("_", " ").title()


def promises(order: dict) -> str:
    """What Amazon promised the buyer, for the warehouse: ship-by date, Prime, business order, gift messages."""
    fulfillment = order.get("fulfillment") or {}
    programs = set(order.get("programs") or [])
    notes = []
    latest = parse_time((fulfillment.get("shipByWindow") or {}).get("latestDateTime"))
    if latest:
        notes.append(f"Ship by {latest:%Y-%m-%d %H:%M} UTC.")
    if "PRIME" in programs:
        notes.append("Prime order.")
    if "AMAZON_BUSINESS" in programs:
        po = (order.get("buyer") or {}).get("buyerPurchaseOrderNumber")
        notes.append(f"Business order (PO {po})." if po else "Business order.")
    for item in order.get("orderItems") or []:
        gift = ((item.get("fulfillment") or {}).get("packing") or {}).get("giftOption") or {}
        if gift.get("giftMessage") or gift.get("giftWrapLevel"):
            sku = (item.get("product") or {}).get("sellerSku") or item.get("orderItemId")
            wrap = f" ({gift['giftWrapLevel']} wrap)" if gift.get("giftWrapLevel") else ""
            notes.append(f"Gift{wrap} for {sku}: {gift.get('giftMessage') or ''}".rstrip(": ") + ".")
    return " ".join(notes)


def is_cancelled(order: dict) -> bool:
    """A merchant-fulfilled order Amazon reports CANCELLED (FulfillmentStatus): never sent, or cancelled at the
    warehouse."""
    fulfillment = order.get("fulfillment") or {}
    return fulfillment.get("fulfilledBy") == "MERCHANT" and fulfillment.get("fulfillmentStatus") == CANCELLED


def is_importable(order: dict) -> bool:
    """Merchant-fulfilled and ready to ship; never Amazon-fulfilled (AFN) nor cancelled."""
    fulfillment = order.get("fulfillment") or {}
    return fulfillment.get("fulfilledBy") == "MERCHANT" and fulfillment.get("fulfillmentStatus") in READY


def to_store_order(order: dict) -> StoreOrder:
    """A v2026-01-01 Order (with RECIPIENT, FULFILLMENT, BUYER) as a StoreOrder.

    Lines carry what is still to ship (`quantityUnfulfilled`); the address lives only in the
    destination, and `raw` keeps no personal data."""
    ship = (order.get("recipient") or {}).get("deliveryAddress") or {}
    email = (order.get("buyer") or {}).get("buyerEmail") or ""
    address = Address(
        name=ship.get("name") or "",
        company=ship.get("companyName") or "",
        street1=ship.get("addressLine1") or "",
        street2=" ".join(p for p in (ship.get("addressLine2"), ship.get("addressLine3")) if p),
        city=ship.get("city") or ship.get("municipality") or "",
        state=ship.get("stateOrRegion") or "",
        postal_code=ship.get("postalCode") or "",
        country=(ship.get("countryCode") or "").upper(),
        phone=ship.get("phone") or "",
        email=email,
    )
    lines = []
    for item in order.get("orderItems") or []:
        product = item.get("product") or {}
        fulfilled = item.get("fulfillment") or {}
        todo = fulfilled.get("quantityUnfulfilled")
        quantity = int(item.get("quantityOrdered") or 0) if todo is None else int(todo)
        if quantity > 0:
            lines.append(OrderLine(
                line_id=str(item["orderItemId"]), sku=(product.get("sellerSku") or "").strip(), quantity=quantity,
                name=product.get("title") or "", unit_price=_money((product.get("price") or {}).get("unitPrice")),
                destination_ref=DESTINATION_REF,
            ))
    created = parse_time(order.get("createdTime")) or datetime.now(UTC)
    fulfillment = order.get("fulfillment") or {}
    return StoreOrder(
        external_id=order["orderId"],
        number=order["orderId"],
        placed_at=created,
        modified_at=parse_time(order.get("lastUpdatedTime")) or created,
        destinations=[Destination(DESTINATION_REF, address, service_level(order))],
        lines=lines,
        customer_email=email,
        notes=promises(order),
        store_status=fulfillment.get("fulfillmentStatus") or "",
        cancelled=is_cancelled(order),
        raw={"orderId": order["orderId"], "marketplaceId": (order.get("salesChannel") or {}).get("marketplaceId"),
             "programs": list(order.get("programs") or []),
             "latestShipDate": (fulfillment.get("shipByWindow") or {}).get("latestDateTime")},
    )


def package_reference(shipment: StoreShipment, box: int = 0) -> str:
    """A positive number, the same for every attempt of one warehouse shipment's box (Amazon takes only digits)."""
    key = shipment.reference or "|".join(shipment.tracking_numbers)
    key = f"{key}#{box}" if box else key
    return str(int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) % 999_999_999 + 1)


def carrier_fields(carrier: str) -> dict:
    """`carrierCode` from Amazon's list, or "Other" with the carrier's name."""
    code = CARRIER_CODES.get(" ".join(carrier.split()).upper())
    return {"carrierCode": code} if code else {"carrierCode": "Other", "carrierName": carrier or "Unknown"}


def boxes(shipment: StoreShipment) -> list[list[tuple[str, int]]]:
    """The shipment's items spread over its tracking numbers, one package each.

    Amazon wants each package's items; warehouses report the boxes' tracking numbers but not
    what each holds, so the units go over the boxes in order, as evenly as they divide. A box
    beyond the number of units has nothing to confirm (and is left out)."""
    units = [line.line_id for line in shipment.lines for _ in range(line.quantity)]
    count = max(1, min(len(shipment.tracking_numbers), len(units)))
    size, extra = divmod(len(units), count)
    result, start = [], 0
    for n in range(count):
        chunk = units[start:start + size + (n < extra)]
        start += len(chunk)
        result.append([(line_id, chunk.count(line_id)) for line_id in dict.fromkeys(chunk)])
    return result


def confirmation_bodies(shipment: StoreShipment, marketplace: str) -> list[tuple[str, dict]]:
    """(package reference, ConfirmShipmentRequest) for each box: its tracking number, items and quantities."""
    bodies = []
    for n, items in enumerate(boxes(shipment)):
        detail = {
            "packageReferenceId": package_reference(shipment, n),
            **carrier_fields(shipment.carrier),
            "trackingNumber": shipment.tracking_numbers[n] if n < len(shipment.tracking_numbers) else "",
            "shipDate": iso(shipment.shipped_at),
            "orderItems": [{"orderItemId": line_id, "quantity": qty} for line_id, qty in items],
        }
        if shipment.service:
            detail["shippingMethod"] = shipment.service
        bodies.append((detail["packageReferenceId"], {"marketplaceId": marketplace, "packageDetail": detail}))
    return bodies


@register
class AmazonConnector(StoreConnector):
    """One Amazon seller's merchant-fulfilled orders in one marketplace (SP-API)."""

    platform: ClassVar[str] = "amazon"
    label: ClassVar[str] = "Amazon"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.ORDERS, Capability.SHIPMENTS, Capability.INVENTORY}
    )
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("seller_id", "Seller ID (Merchant Token)",
                        help="Seller Central > Settings > Account Info > Merchant Token."),
        CredentialField("lwa_client_id", "LWA client ID",
                        help="The app's Login with Amazon client ID (Seller Central > Develop Apps)."),
        CredentialField("lwa_client_secret", "LWA client secret", secret=True),
        CredentialField("refresh_token", "Refresh token", secret=True,
                        help="The seller's refresh token, given when the seller authorized the app."),
    )
    settings_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("marketplace_id", "Marketplace", required=False, default=US_MARKETPLACE,
                        help="Amazon's marketplace ID: ATVPDKIKX0DER is Amazon.com (US)."),
        CredentialField("api_base", "SP-API endpoint", required=False, default=DEFAULT_API_BASE,
                        help="North America by default; Europe and Far East have their own."),
        CredentialField("token_url", "LWA token URL", required=False, default=DEFAULT_TOKEN_URL),
        CredentialField("feed_threshold", "SKUs per push sent as a feed", required=False,
                        default=str(DEFAULT_FEED_THRESHOLD),
                        help="More changed SKUs than this go as one JSON_LISTINGS_FEED instead of one call each."),
    )

    def __init__(self, credentials: dict, settings: dict, *, sleep: Callable[[float], None] = time.sleep,
                 quota_sleep: Callable[[float], None] = time.sleep) -> None:
        """`sleep`: what waits between retries; `quota_sleep`: what waits for a usage-plan slot."""
        settings = settings or {}
        self.seller_id = (credentials.get("seller_id") or "").strip()
        self.marketplace = (settings.get("marketplace_id") or US_MARKETPLACE).strip()
        try:
            self.feed_threshold = int(settings.get("feed_threshold") or DEFAULT_FEED_THRESHOLD)
        except ValueError:
            self.feed_threshold = DEFAULT_FEED_THRESHOLD
        self.sleep = sleep
        self.order_cursor: dict = {}
        self.client = AmazonClient(
            (credentials.get("lwa_client_id") or "").strip(), (credentials.get("lwa_client_secret") or "").strip(),
            (credentials.get("refresh_token") or "").strip(), seller=self.seller_id,
            api_base=settings.get("api_base") or DEFAULT_API_BASE, token_url=settings.get("token_url") or "",
            sleep=sleep, quota_sleep=quota_sleep,
        )

    # ------------------------------------------------------------ setup
    def test_connection(self) -> CheckReport:
        """The token exchange, the seller's participation in the marketplace, then each role Dockline needs."""
        report = CheckReport()
        try:
            self.client.access_token(renew=True)
        except ConnectorError as exc:
            report.add("Login with Amazon", False, exc.message)
            return report
        report.add("Login with Amazon", True, "Amazon exchanged the refresh token.")
        try:
            answer = self.client.request("getMarketplaceParticipations", "GET", "/sellers/v1/marketplaceParticipations")
        except ConnectorError as exc:
            report.add("Marketplace", False, exc.message)
            return report
        entries = (answer or {}).get("payload") or []
        found = [e for e in entries if (e.get("marketplace") or {}).get("id") == self.marketplace]
        names = [f"{(e.get('marketplace') or {}).get('id')} ({(e.get('marketplace') or {}).get('name')})"
                 for e in entries if (e.get("participation") or {}).get("isParticipating")]
        report.choices["marketplace_id"] = [((e.get("marketplace") or {}).get("id"),
                                             (e.get("marketplace") or {}).get("name") or "") for e in entries]
        if not found or not (found[0].get("participation") or {}).get("isParticipating"):
            report.add("Marketplace", False, f"The seller does not sell in marketplace {self.marketplace}; it sells "
                                             f"in: {', '.join(names) or 'none'}.")
            return report
        report.add("Marketplace", True, f"The seller sells in {found[0]['marketplace'].get('name') or self.marketplace}.")
        for step, probe in (("Orders", self._probe_orders), ("Buyer addresses", self._probe_addresses),
                            ("Listings", self._probe_listings)):
            try:
                report.add(step, True, probe())
            except RoleDenied as exc:
                report.add(step, False, f"Missing role: {exc.role}. {exc.message}")
            except ConnectorError as exc:
                report.add(step, False, exc.message)
        return report

    def _probe_orders(self) -> str:
        self.client.request("searchOrders", "GET", ORDERS, params={
            "lastUpdatedAfter": iso(datetime.now(UTC) - timedelta(days=1)), "marketplaceIds": self.marketplace,
            "fulfilledBy": "MERCHANT", "maxResultsPerPage": 1})
        return "Dockline may read the seller's orders and confirm shipments."

    def _probe_addresses(self) -> str:
        """An RDT for shipping addresses is granted only to an app with the Direct-to-Consumer Delivery role."""
        self.client.request("createRestrictedDataToken", "POST", "/tokens/2021-03-01/restrictedDataToken", json={
            "restrictedResources": [{"method": "GET", "path": "/orders/v0/orders", "dataElements": ["shippingAddress"]}]})
        return "Dockline may read buyers' shipping addresses."

    def _probe_listings(self) -> str:
        """A listing Amazon does not have answers 404: the role is there all the same."""
        try:
            self.client.request("getListingsItem", "GET", f"/listings/2021-08-01/items/{self.seller_id}/"
                                "DOCKLINE-SETUP-CHECK", params={"marketplaceIds": self.marketplace})
        except ConnectorError as exc:
            if exc.kind is not ErrorKind.FATAL:  # 404 is FATAL; a denied role (RoleDenied) is CONFIG
                raise
        return "Dockline may set the quantities of the seller's listings."

    # ------------------------------------------------------------ orders
    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Ready merchant-fulfilled orders updated at or after `since` (30 days back when None), oldest first."""
        after = since or datetime.now(UTC) - FIRST_IMPORT
        params = {"lastUpdatedAfter": iso(after), "marketplaceIds": self.marketplace, "fulfilledBy": "MERCHANT",
                  "fulfillmentStatuses": ",".join((*READY, CANCELLED)), "includedData": ",".join(INCLUDED),
                  "maxResultsPerPage": 100}
        found: list[dict] = []
        while True:
            answer = self.client.request("searchOrders", "GET", ORDERS, params=params) or {}
            found.extend(o for o in answer.get("orders") or [] if is_importable(o) or is_cancelled(o))
            token = (answer.get("pagination") or {}).get("nextToken")
            if not token:
                break
            params = {**params, "paginationToken": token}
        found.sort(key=lambda o: o.get("lastUpdatedTime") or "")
        for order in found:
            store_order = to_store_order(order)
            if not store_order.destinations[0].address.street1 and not store_order.cancelled:
                raise ConnectorError(
                    f"Amazon gave order {order['orderId']} without its shipping address: the app needs the "
                    f"Direct-to-Consumer Delivery (Restricted) role. Add it to the app, then authorize it again.",
                    ErrorKind.CONFIG)
            yield store_order

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        """Nothing to do: Amazon keeps no queue of orders to acknowledge."""

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """Nothing to do: Amazon has no step for an order the warehouse received."""

    # ------------------------------------------------------------ shipments
    def packages(self, order_id: str) -> list[dict]:
        """The packages Amazon holds for the order (v2026 getOrder with PACKAGES)."""
        answer = self.client.request("getOrder", "GET", f"{ORDERS}/{order_id}", params={"includedData": "PACKAGES"})
        return ((answer or {}).get("order") or {}).get("packages") or []

    def post_shipment(self, shipment: StoreShipment) -> str:
        """Confirm the shipment's packages (one per tracking number); returns their references.

        Idempotent: each reference is derived from the warehouse shipment, and a package with
        it already on the order is never confirmed again. When the answer to a confirmation is
        lost, Dockline reads the order's packages: there, it was applied; not there, the error
        goes to the engine, which tries again later (and reads first again)."""
        order_id = shipment.order_external_id
        if not shipment.tracking_numbers:
            raise ConnectorError(f"Amazon needs a tracking number to confirm the shipment of order {order_id}; "
                                 f"the warehouse reported none.", ErrorKind.FATAL)
        bodies = confirmation_bodies(shipment, self.marketplace)
        there = {str(p.get("packageReferenceId")) for p in self.packages(order_id)}
        for reference, body in bodies:
            if reference in there:
                continue
            try:
                self.client.request("confirmShipment", "POST",
                                    f"/orders/v0/orders/{order_id}/shipmentConfirmation", json=body)
            except ConnectorError as exc:
                if exc.kind is not ErrorKind.RETRYABLE:
                    raise
                there = {str(p.get("packageReferenceId")) for p in self.packages(order_id)}
                if reference not in there:
                    raise
        return ",".join(reference for reference, _ in bodies)

    # ------------------------------------------------------------ stock
    def push_stock(self, updates: list[StockUpdate]) -> PushResult:
        """Quantities of merchant-fulfilled offers; idempotent: each push sets, never adds."""
        if len(updates) > self.feed_threshold:
            return inventory.push_feed(self.client, self.seller_id, self.marketplace, updates, sleep=self.sleep)
        return inventory.push_each(self.client, self.seller_id, self.marketplace, updates)

    def close(self) -> None:
        self.client.close()
