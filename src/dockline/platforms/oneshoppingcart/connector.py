"""1ShoppingCart store connector: orders from the XML API (LIST, then one read per order
and its client). The API takes no writes Dockline needs: no tracking, no stock
(see docs/platforms/oneshoppingcart.md), so tracking stays in Dockline.

LIST filters by order date (`LimitStartDate`, a date and time), not by change. So
each run lists from its cursor, and an order that was not yet Accepted when listed
(payment pending) is remembered in the channel cursor (`order_cursor["waiting"]`)
and read again on every run until it is Accepted (then imported), ends (declined,
voided, cancelled, refunded, archived) or is older than WATCH_FOR.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import ClassVar
from xml.etree.ElementTree import Element

import pycountry

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Address, Destination, OrderLine, PushResult, StockUpdate, StoreOrder, StoreShipment
from dockline.platforms.base import Capability, CheckReport, CredentialField, StoreConnector, register
from dockline.platforms.oneshoppingcart.client import DEFAULT_API_BASE, NoData, OneShoppingCartClient

PAGE_SIZE = 100
READY_STATUS = "Accepted"  # payment accepted: the order is ready to ship
# Statuses after which an order is never Accepted (WishList Member's status map lists them).
ENDED = ("declined", "voided", "cancelled", "canceled", "archived", "refunded")
# An order still not Accepted when orders this much newer are listed is no longer read again
# (measured on the API's clock, between order dates, so no time zone or wall clock is involved).
WATCH_FOR = timedelta(days=30)
LIST_OVERLAP = timedelta(minutes=5)  # listing restarts this long before the newest order already listed
# LimitStartDate on the API's own clock: OrderDate values are read as they are written (naive) and
# Dockline's cursor comes from them, so the same clock goes back without any time-zone guess.
START_FORMAT = "%m/%d/%Y %H:%M:%S"
DESTINATION_REF = "shipping"
NO_TRACKING = "1ShoppingCart's API cannot receive tracking numbers or fulfillment status; they are kept in Dockline."
NO_STOCK = "1ShoppingCart's API cannot receive stock levels."
_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y")


def _text(el: Element | None, path: str) -> str:
    found = el.find(path) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


def parse_date(value: str) -> datetime | None:
    """1ShoppingCart dates: ISO 8601 (XmlSerializer) or MM/DD/YYYY [time]; naive values are taken as UTC."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                dt = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def country_code(name: str) -> str:
    """ISO alpha-2 for a country name ("Canada" -> "CA"); the name itself when unknown."""
    if not name:
        return ""
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return name


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        return Decimal("0")


def to_store_order(response: Element, client: Element | None) -> StoreOrder:
    """An Orders READ answer (and the Clients READ of its buyer) as a StoreOrder."""
    info = response.find("OrderInfo")
    ship = response.find(".//OrderShippingProfileInfo")
    client_info = client.find("ClientInfo") if client is not None else None
    email = _text(client_info, "Email")
    phone = next((p for p in (_text(client_info, t) for t in ("Phone", "WorkPhone", "HomePhone")) if p), "")
    name = _text(ship, "Name") or " ".join(p for p in (_text(ship, "FirstName"), _text(ship, "LastName")) if p)
    address = Address(
        name=name, company=_text(ship, "Company"), street1=_text(ship, "Address1"), street2=_text(ship, "Address2"),
        city=_text(ship, "City"), state=_text(ship, "StateName"), postal_code=_text(ship, "Zip"),
        country=country_code(_text(ship, "CountryName")), phone=phone, email=email,
    )
    lines = [
        OrderLine(
            line_id=str(n),
            sku=_text(item, "Sku"),  # empty when the product has no SKU: the order stops in Error saying so
            quantity=int(_decimal(_text(item, "Quantity"))),
            name=_text(item, "ProductName"),
            unit_price=_decimal(_text(item, "UnitPrice")),
            destination_ref=DESTINATION_REF,
        )
        for n, item in enumerate(info.findall("LineItems/LineItemInfo"), start=1)
    ]
    placed = parse_date(_text(info, "OrderDate")) or datetime.now(UTC)
    order_id = _text(info, "Id")
    return StoreOrder(
        external_id=order_id, number=order_id, placed_at=placed, modified_at=placed,
        destinations=[Destination(DESTINATION_REF, address, _text(info, "ShippingInfo/ShippingMethodName"))],
        lines=lines, customer_email=email, notes=_text(info, "Comments"),
        store_status=_text(info, "OrderStatusType"), cancelled=_text(info, "OrderStatusType").lower().startswith(ENDED),
        raw={"order_id": order_id},
    )


@register
class OneShoppingCartConnector(StoreConnector):
    platform: ClassVar[str] = "oneshoppingcart"
    label: ClassVar[str] = "1ShoppingCart"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.ORDERS})
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("merchant_id", "Merchant ID", help="My Account > Status Summary: your Merch ID."),
        CredentialField("api_key", "API Key", secret=True, help="My Account > API Settings: the Merchant API Key."),
    )
    settings_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("api_base", "API base URL", required=False, default=DEFAULT_API_BASE),
    )

    def __init__(self, credentials: dict, settings: dict, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """`sleep`: what waits between retries (tests pass one that does not sleep)."""
        self.client = OneShoppingCartClient(
            (credentials.get("merchant_id") or "").strip(), (credentials.get("api_key") or "").strip(),
            api_base=(settings or {}).get("api_base") or DEFAULT_API_BASE, sleep=sleep,
        )
        # The platform's part of the orders channel cursor; Dockline sets it before fetch_orders and saves it
        # after: {"waiting": {order id: OrderDate ISO}, "listed_until": newest OrderDate listed (ISO)}.
        self.order_cursor: dict = {}

    def test_connection(self) -> CheckReport:
        report = CheckReport()
        try:
            count = len(self._list_page({"LimitCount": "1", "LimitOffset": "0"})[0])
        except ConnectorError as exc:
            report.add("Merchant ID and API Key", False, exc.message)
            return report
        report.add("Merchant ID and API Key", True, f"1ShoppingCart accepted them ({count} recent order(s) seen).")
        report.add("Tracking", True, NO_TRACKING)
        return report

    def _list_page(self, fields: dict[str, str]) -> tuple[list[str], dict[str, str] | None]:
        """Order ids of one LIST page, and the fields of the next page (None at the end)."""
        try:
            response = self.client.call("Orders/LIST", fields)
        except NoData:
            return [], None
        ids = [(o.text or "").strip() for o in response.findall("Orders/Order")]
        nxt = response.find("NextRecordSet")
        return ids, ({c.tag: (c.text or "") for c in nxt} if nxt is not None and ids else None)

    def order_ids(self, start: datetime | None) -> Iterator[str]:
        """Ids of the orders placed at or after `start` (all if None), oldest first, each once."""
        fields: dict[str, str] | None = {"LimitCount": str(PAGE_SIZE), "LimitOffset": "0", "SortOrder": "ASC"}
        if start is not None:
            fields["LimitStartDate"] = start.astimezone(UTC).strftime(START_FORMAT)
        seen: set[str] = set()
        while fields is not None:
            ids, fields = self._list_page(fields)
            for order_id in ids:
                if order_id and order_id not in seen:
                    seen.add(order_id)
                    yield order_id

    def _start(self, since: datetime | None) -> datetime | None:
        """Where LIST begins: `since`, or later if a previous run already listed past it."""
        listed = parse_date(self.order_cursor.get("listed_until") or "")
        if since is None or listed is None:
            return since
        return max(since, listed - LIST_OVERLAP)

    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Accepted orders: first those that were waiting for payment, then those placed since `since`.

        Each order is read once a run; one not yet Accepted joins `order_cursor["waiting"]`, which
        lets go of orders WATCH_FOR older than the newest order listed.
        """
        waiting: dict[str, str] = dict(self.order_cursor.get("waiting") or {})
        self.order_cursor = {**self.order_cursor, "waiting": waiting}
        clients: dict[str, Element | None] = {}
        recheck = sorted(waiting, key=lambda oid: (waiting[oid], oid))
        for order_id in recheck:
            order = self._read_order(order_id, waiting, clients)
            if order is not None:
                yield order
        for order_id in self.order_ids(self._start(since)):
            if order_id in recheck:
                continue
            order = self._read_order(order_id, waiting, clients)
            if order is not None:
                yield order
        newest = parse_date(self.order_cursor.get("listed_until") or "")
        for order_id, placed in list(waiting.items()):
            if newest is not None and datetime.fromisoformat(placed) < newest - WATCH_FOR:
                del waiting[order_id]

    def _read_order(self, order_id: str, waiting: dict[str, str], clients: dict[str, Element | None]
                    ) -> StoreOrder | None:
        """The order if it is Accepted; otherwise None, and it is watched (or no longer) in `waiting`."""
        try:
            response = self.client.call(f"Orders/{order_id}")
        except NoData:  # deleted in 1ShoppingCart
            waiting.pop(order_id, None)
            return None
        info = response.find("OrderInfo")
        status = _text(info, "OrderStatusType")
        placed = parse_date(_text(info, "OrderDate"))
        listed = parse_date(self.order_cursor.get("listed_until") or "")
        if placed is not None and (listed is None or placed > listed):
            self.order_cursor["listed_until"] = placed.isoformat()
        if status.lower().startswith(ENDED):  # marked cancelled: never stored, or cancelled if Dockline has it
            waiting.pop(order_id, None)
            return to_store_order(response, None)
        if status != READY_STATUS:
            if placed is None:
                waiting.pop(order_id, None)
            else:
                waiting[order_id] = placed.isoformat()
            return None
        waiting.pop(order_id, None)
        client_id = _text(info, "ClientId")
        if client_id and client_id not in clients:
            try:
                clients[client_id] = self.client.call(f"Clients/{client_id}")
            except NoData:
                clients[client_id] = None
        return to_store_order(response, clients.get(client_id))

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        """No such step on 1ShoppingCart."""

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """1ShoppingCart's API cannot change an order."""

    def post_shipment(self, shipment: StoreShipment) -> str:
        raise ConnectorError(NO_TRACKING, ErrorKind.FATAL)

    def push_stock(self, updates: list[StockUpdate]) -> PushResult:
        return PushResult(skipped=[(u.sku, NO_STOCK) for u in updates])

    def close(self) -> None:
        self.client.close()
