"""eBay JSON to Dockline's core types and back: pure functions, testable without a server.

Field names are those of eBay's contracts: the Fulfillment API's `Order`, `LineItem`, `ShippingStep`
and `ShippingFulfillmentDetails`, the Inventory API's `BulkPriceQuantity` and `PriceQuantityResponse`.
"""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from dockline.core.types import Address, Destination, OrderLine, PushResult, StockUpdate, StoreOrder, StoreShipment
from dockline.platforms.base import parse_time
from dockline.platforms.ebay.client import error_text

DESTINATION_REF = "shipping"  # an eBay order has one ship-to address
UNKNOWN_SKU_ERRORS = {25702, 25710}  # "SKU ... is not available", "resource not found"
NOT_INVENTORY_API = ("eBay's Inventory API does not know this SKU: its listing was made outside the Inventory API "
                     "(Seller Hub, the Trading API or another tool), so Dockline cannot change its quantity. "
                     "Migrate the listing to the Inventory API (Seller Hub or bulkMigrateListing) or keep its "
                     "quantity by hand")
# Warehouse carrier codes (SCACs and names) -> eBay shippingCarrierCode
CARRIERS = {"UPS": "UPS", "UPSN": "UPS", "USPS": "USPS", "FEDEX": "FEDEX", "FDXE": "FEDEX", "FDEG": "FEDEX",
            "FXFE": "FEDEX", "DHL": "DHL", "ONTRAC": "ONTRAC"}


def ebay_time(dt: datetime) -> str:
    """eBay's ISO 8601 UTC with milliseconds: 2026-01-05T09:00:00.000Z."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _money(amount: dict | None) -> Decimal:
    try:
        return Decimal(str((amount or {}).get("value") or 0))
    except InvalidOperation:
        return Decimal("0")


def is_cancelled(order: dict) -> bool:
    """A cancellation was requested or done: the order must not reach the warehouse."""
    return ((order.get("cancelStatus") or {}).get("cancelState") or "NONE_REQUESTED") != "NONE_REQUESTED"


def to_store_order(order: dict) -> StoreOrder:
    """An eBay Order (getOrders) as a StoreOrder."""
    start = next(iter(order.get("fulfillmentStartInstructions") or []), {})
    step = start.get("shippingStep") or {}
    ship_to = step.get("shipTo") or {}
    where = ship_to.get("contactAddress") or {}
    address = Address(
        name=ship_to.get("fullName") or "",
        company=ship_to.get("companyName") or "",
        street1=where.get("addressLine1") or "",
        street2=where.get("addressLine2") or "",
        city=where.get("city") or "",
        state=where.get("stateOrProvince") or "",
        postal_code=where.get("postalCode") or "",
        country=(where.get("countryCode") or "").upper(),
        phone=(ship_to.get("primaryPhone") or {}).get("phoneNumber") or "",
        email=ship_to.get("email") or "",
    )
    lines, ship_by = [], []
    for item in order.get("lineItems") or []:
        quantity = int(item.get("quantity") or 0)
        sku = (item.get("sku") or "").strip()
        title = item.get("title") or ""
        name = title if sku else (f"{title} (eBay item {item.get('legacyItemId') or '?'}; on eBay a SKU is the "
                                  "listing's Custom label, in Seller Hub > Listings > Edit)")
        instructions = item.get("lineItemFulfillmentInstructions") or {}
        if parse_time(instructions.get("shipByDate")):
            ship_by.append(parse_time(instructions["shipByDate"]))
        lines.append(OrderLine(
            line_id=str(item.get("lineItemId") or ""), sku=sku, quantity=quantity, name=name,
            unit_price=(_money(item.get("lineItemCost")) / quantity) if quantity else Decimal("0"),
            destination_ref=DESTINATION_REF,
        ))
    deliver_by = parse_time(start.get("maxEstimatedDeliveryDate"))
    notes = [f"Ship by {min(ship_by):%Y-%m-%d %H:%M} UTC" if ship_by else "",
             f"deliver by {deliver_by:%Y-%m-%d}" if deliver_by else "", order.get("buyerCheckoutNotes") or ""]
    placed = parse_time(order.get("creationDate")) or datetime.now(UTC)
    return StoreOrder(
        external_id=order["orderId"],
        number=order["orderId"],
        placed_at=placed,
        modified_at=parse_time(order.get("lastModifiedDate")) or placed,
        destinations=[Destination(DESTINATION_REF, address, step.get("shippingServiceCode") or "")],
        lines=lines,
        customer_email=ship_to.get("email") or "",
        notes=". ".join(n for n in notes if n),
        store_status=order.get("orderFulfillmentStatus") or "",
        cancelled=is_cancelled(order),
        raw={"orderId": order["orderId"], "shippingServiceCode": step.get("shippingServiceCode") or "",
             "shipByDate": ebay_time(min(ship_by)) if ship_by else "",
             "maxEstimatedDeliveryDate": start.get("maxEstimatedDeliveryDate") or ""},
    )


def fulfillment_body(shipment: StoreShipment, tracking_number: str) -> dict:
    """A ShippingFulfillmentDetails for one package: its lines, date, carrier and tracking number."""
    body = {"lineItems": [{"lineItemId": line.line_id, "quantity": line.quantity} for line in shipment.lines],
            "shippedDate": ebay_time(shipment.shipped_at)}
    if tracking_number:
        carrier = (shipment.carrier or "").strip().upper()
        body["shippingCarrierCode"] = CARRIERS.get(carrier, carrier or "OTHER")
        body["trackingNumber"] = tracking_number
    return body


def stock_body(updates: list[StockUpdate]) -> dict:
    """A BulkPriceQuantity setting each SKU's ship-to-home quantity."""
    return {"requests": [{"sku": u.sku, "shipToLocationAvailability": {"quantity": max(u.quantity, 0)}}
                         for u in updates]}


def stock_outcome(updates: list[StockUpdate], body: dict | None, result: PushResult) -> None:
    """Read each SKU's status from a BulkPriceQuantityResponse into `result`."""
    answered = {}
    for row in (body or {}).get("responses") or []:
        answered.setdefault(row.get("sku"), []).append(row)
    for update in updates:
        rows = answered.get(update.sku)
        if not rows:
            result.skipped.append((update.sku, "eBay gave no status for this SKU; it is pushed again next time"))
            continue
        failed = [r for r in rows if not 200 <= int(r.get("statusCode") or 0) < 300]
        if not failed:
            result.updated.append(update.sku)
            continue
        ids = {e.get("errorId") for r in failed for e in r.get("errors") or []}
        reason = NOT_INVENTORY_API if ids & UNKNOWN_SKU_ERRORS else \
            f"eBay refused the quantity: {error_text([e for r in failed for e in r.get('errors') or []])}"
        result.skipped.append((update.sku, reason))
