"""UltraCart store connector: the REST v2 Fulfillment API of one distribution center.

Orders come from the distribution center's queue (up to 100 at a time, the
same ones again until acknowledged); Dockline acknowledges them only after
they are stored. Tracking goes back through the shipments resource and
stock through the inventory resource (at most 500 items a call).

Request bodies are what the official SDK's models serialize (`ultracart-rest-sdk`:
`FulfillmentShipment`, `FulfillmentInventory`); the tests compare them. Note that
`FulfillmentInventory` names its item `itemId`, the API's one camelCase key.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Address, Destination, OrderLine, PushResult, StockUpdate, StoreOrder, StoreShipment
from dockline.platforms.base import Capability, CheckReport, CredentialField, StoreConnector, parse_time, register
from dockline.platforms.ultracart.client import DEFAULT_API_BASE, UltraCartClient

ACK_BATCH = 100  # "order_ids can not contain more than 100 records at a time"
SHIPMENT_BATCH = 100
INVENTORY_BATCH = 500  # "inventories can not contain more than 500 records at a time"
DESTINATION_REF = "shipping"  # an UltraCart order has one ship-to address
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _money(currency: dict | None) -> Decimal:
    try:
        return Decimal(str((currency or {}).get("value") or 0))
    except InvalidOperation:
        return Decimal("0")


# Order.current_stage (ultracart-rest-sdk `Order.allowed_values`) of an order that was rejected or cancelled.
REJECTED_STAGE = "Rejected"


def to_store_order(order: dict) -> StoreOrder:
    """An UltraCart Order (fulfillment expansion) as a StoreOrder."""
    ship = order.get("shipping") or {}
    billing = order.get("billing") or {}
    email = billing.get("email") or ""
    address = Address(
        name=" ".join(p for p in (ship.get("first_name"), ship.get("last_name")) if p),
        company=ship.get("company") or "",
        street1=ship.get("address1") or "",
        street2=ship.get("address2") or "",
        city=ship.get("city") or "",
        state=ship.get("state_region") or "",
        postal_code=ship.get("postal_code") or "",
        country=(ship.get("country_code") or "").upper(),
        phone=ship.get("day_phone") or ship.get("evening_phone") or billing.get("day_phone") or "",
        email=email,
    )
    items = order.get("items") or []
    # A kit whose components are listed ships as its components.
    parents = {i.get("parent_item_index") for i in items if i.get("kit_component")}
    lines = [
        OrderLine(
            line_id=str(item.get("item_index") or n),
            sku=(item.get("merchant_item_id") or "").strip(),
            quantity=int(item.get("quantity") or 0),
            name=item.get("description") or "",
            unit_price=_money(item.get("cost")),
            destination_ref=DESTINATION_REF,
        )
        for n, item in enumerate(items, start=1)
        if not (item.get("kit") and item.get("item_index") in parents)
    ]
    placed = parse_time(order.get("creation_dts")) or datetime.now(UTC)
    return StoreOrder(
        external_id=order["order_id"],
        number=order["order_id"],
        placed_at=placed,
        modified_at=placed,
        destinations=[Destination(DESTINATION_REF, address, ship.get("shipping_method") or "")],
        lines=lines,
        customer_email=email,
        customer_name=" ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p),
        notes=ship.get("special_instructions") or "",
        store_status=order.get("current_stage") or "",
        cancelled=order.get("current_stage") == REJECTED_STAGE,
        raw={"order_id": order["order_id"], "merchant_id": order.get("merchant_id", "")},
    )


def shipment_body(shipment: StoreShipment) -> dict:
    """A FulfillmentShipment: the order and its tracking numbers."""
    return {"order_id": shipment.order_external_id, "tracking_numbers": list(shipment.tracking_numbers)}


def inventory_body(update: StockUpdate) -> dict:
    """A FulfillmentInventory: `itemId` (camelCase, as the SDK's model serializes it) and `quantity`
    (a JSON number with a fraction, `7.0`, as the SDK's float field sends it)."""
    return {"itemId": update.sku, "quantity": float(max(update.quantity, 0))}


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@register
class UltraCartConnector(StoreConnector):
    """UltraCart's Fulfillment API for one distribution center."""

    platform: ClassVar[str] = "ultracart"
    label: ClassVar[str] = "UltraCart"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.ORDERS, Capability.SHIPMENTS, Capability.INVENTORY}
    )
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("merchant_id", "Merchant ID", help="Your five-character UltraCart merchant ID."),
        CredentialField(
            "api_key", "API Key", secret=True,
            help="A simple API key (Configuration > Back Office > Authorized Applications) with fulfillment access.",
        ),
        CredentialField(
            "distribution_center_code", "Distribution Center Code",
            help="The code of the distribution center this warehouse fulfils (Configuration > Distribution Centers).",
        ),
    )
    settings_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("api_base", "API base URL", required=False, default=DEFAULT_API_BASE),
    )

    @staticmethod
    def checklist(connection) -> list[dict]:
        """Setup checklist items for the connection page: UltraCart SKUs must match the warehouse's."""
        from dockline.platforms.ultracart.checklist import checklist_item

        return [checklist_item(connection)]

    def __init__(self, credentials: dict, settings: dict, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """`sleep`: what waits between retries (tests pass one that does not sleep)."""
        self.merchant_id = (credentials.get("merchant_id") or "").strip().upper()
        self.dc_code = (credentials.get("distribution_center_code") or "").strip()
        api_base = (settings or {}).get("api_base") or DEFAULT_API_BASE
        self.client = UltraCartClient((credentials.get("api_key") or "").strip(), api_base=api_base, sleep=sleep)

    @property
    def _dc_path(self) -> str:
        return f"/fulfillment/distribution_centers/{self.dc_code}"

    def test_connection(self) -> CheckReport:
        report = CheckReport()
        try:
            centers = self.client.request("GET", "/fulfillment/distribution_centers") or {}
        except ConnectorError as exc:
            report.add("API key", False, exc.message)
            return report
        report.add("API key", True, "UltraCart accepted the key.")
        codes = [c.get("code") or "" for c in centers.get("distribution_centers") or []]
        found = self.dc_code in codes
        detail = (f"{self.dc_code} found." if found else
                  f"No distribution center {self.dc_code!r} for this key; it has: {', '.join(codes) or 'none'}.")
        if not report.add("Distribution center", found, detail):
            return report
        try:
            orders = self._queued()
        except ConnectorError as exc:
            report.add("Order queue", False, exc.message)
            return report
        others = sorted({o.get("merchant_id") for o in orders if o.get("merchant_id") not in (None, self.merchant_id)})
        if others:
            report.add("Merchant ID", False, f"The key's orders belong to merchant {', '.join(others)}, "
                       f"not {self.merchant_id}.")
        else:
            report.add("Order queue", True, f"{len(orders)} order(s) waiting for this distribution center.")
        return report

    def _queued(self) -> list[dict]:
        return (self.client.request("GET", f"{self._dc_path}/orders") or {}).get("orders") or []

    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Every queued order, oldest first. UltraCart keeps no cursor: `since` does not apply.

        The queue gives the same 100 orders until they are acknowledged; the caller
        acknowledges each 100 once stored, so asking again yields the next ones. A
        batch with nothing new (not acknowledged) ends the run.
        """
        seen: set[str] = set()
        while True:
            batch = self._queued()
            fresh = [o for o in batch if o.get("order_id") not in seen]
            for order in sorted(fresh, key=lambda o: parse_time(o.get("creation_dts")) or EPOCH):
                if self.merchant_id and order.get("merchant_id") not in (None, "", self.merchant_id):
                    raise ConnectorError(
                        f"Order {order['order_id']} belongs to merchant {order['merchant_id']}, not "
                        f"{self.merchant_id}: check the Merchant ID and API key.", ErrorKind.FATAL)
                seen.add(order["order_id"])
                yield to_store_order(order)
            if len(batch) < ACK_BATCH or not fresh:
                return

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        ids = [o.external_id for o in orders]
        for chunk in _chunks(ids, ACK_BATCH):
            self.client.request("PUT", f"{self._dc_path}/acknowledgements", chunk)

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """Nothing to do: the acknowledgement already told UltraCart the warehouse has it."""

    def post_shipment(self, shipment: StoreShipment) -> str:
        """Tracking numbers for the order (UltraCart's FulfillmentShipment has no carrier field)."""
        self.client.request("POST", f"{self._dc_path}/shipments", [shipment_body(shipment)])
        return shipment.order_external_id

    def push_stock(self, updates: list[StockUpdate]) -> PushResult:
        """Quantities on hand for the distribution center; idempotent: each call sets, never adds."""
        result = PushResult()
        for chunk in _chunks(updates, INVENTORY_BATCH):
            body = [inventory_body(u) for u in chunk]
            self.client.request("POST", f"{self._dc_path}/inventory", body)
            result.updated.extend(u.sku for u in chunk)
        return result

    def close(self) -> None:
        self.client.close()
