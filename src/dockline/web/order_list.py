"""The orders list as read for the web: filters, search, keyset pages and CSV rows, whatever the count.

Orders are read newest first by (placed_at, id). A page is asked for by a cursor, the (placed_at, id) of
the row it continues from, never by an offset: the tenth thousandth page costs what the first does, and
orders arriving meanwhile do not shift the rows under the reader. Every lookup the search makes has an
index (`orders/models.py`, `shipments/models.py`): the order number, the customer's email (any case),
the start of the customer's name, a store SKU (any case) and a tracking number.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from dockline.core.types import Address
from dockline.orders.models import Order, OrderLine
from dockline.orders.status import OrderStatus
from dockline.shipments.models import Package
from dockline.web import scope
from dockline.web.ids import is_id, parse_id

PAGE_SIZE = 50
COUNT_CAP = 10_000  # counting further would cost more than the reader gains: "10,000+ orders"
FILTERS = ("status", "store", "since", "until", "q")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Never read for the list or the CSV: the store's encrypted credentials (decrypting them took half
# the export's time) and the order's raw store payload.
UNREAD = ("raw", "store__credentials", "store__settings")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the (placed_at, id) of the row next to it, written as `<microseconds>.<id>`."""

    placed_at: datetime
    pk: int

    @classmethod
    def of(cls, order: Order) -> Cursor:
        return cls(order.placed_at, order.pk)

    @classmethod
    def parse(cls, raw: str) -> Cursor | None:
        micros, _, pk = (raw or "").partition(".")
        digits = micros.removeprefix("-")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 17 and is_id(pk)):
            return None  # not one the links wrote: the first page
        return cls(EPOCH + timedelta(microseconds=int(micros)), int(pk))

    def __str__(self) -> str:
        return f"{(self.placed_at - EPOCH) // timedelta(microseconds=1)}.{self.pk}"

    def older(self) -> Q:
        """Rows after this one, newest first. The `lte` bound lets the database walk the index from here."""
        return Q(placed_at__lte=self.placed_at) & (Q(placed_at__lt=self.placed_at) | Q(id__lt=self.pk))

    def newer(self) -> Q:
        return Q(placed_at__gte=self.placed_at) & (Q(placed_at__gt=self.placed_at) | Q(id__gt=self.pk))


@dataclass
class Page:
    orders: list[Order]
    newer: Cursor | None = None  # `before=` for the previous page, if there is one
    older: Cursor | None = None  # `after=` for the next page, if there is one


def visible_orders(user) -> QuerySet:
    """`scope.orders(user)`, written so that SQLite pages through the newest-first indexes.

    Without statistics (SQLite has none until someone runs ANALYZE) SQLite's planner picks the
    connection index for `connection_id IN (...)` and then sorts every order of the organization: 13 s a
    page at a million orders instead of 40 ms. `connection_id + 0` is the same test with no index to
    pick. PostgreSQL keeps statistics and chooses well on its own, so it gets the plain filter.
    """
    if connection.vendor != "sqlite":
        return scope.orders(user)
    return Order.objects.alias(connection_unindexed=F("connection_id") + 0).filter(
        connection_unindexed__in=scope.connections(user))


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def read_filters(params) -> dict[str, str]:
    """The filter values as given (stripped); unknown or malformed ones are ignored when applied."""
    return {k: (params.get(k) or "").strip() for k in FILTERS}


def search(orders: QuerySet, text: str) -> QuerySet:
    """Orders whose number, customer email, store SKU or tracking number is `text`, or whose customer's
    name starts with it (any case). Each lookup uses its own index; their ids are joined by UNION, which
    PostgreSQL needs (it reads the whole table for an OR with `id IN (...)` branches)."""
    number, low = text.lstrip("#"), text.lower()
    named = Order.objects.alias(email_l=Lower("customer_email"), name_l=Lower("customer_name"))
    ids = Order.objects.filter(number=number).order_by().values("id").union(
        named.filter(email_l=low).order_by().values("id"),
        named.filter(name_l__gte=low, name_l__lt=low + "\uffff").order_by().values("id"),
        OrderLine.objects.alias(sku_l=Lower("sku")).filter(sku_l=low).order_by().values("order_id"),
        Package.objects.filter(tracking_number=text).order_by().values("shipment__order_id"),
        all=True,
    )
    return orders.filter(pk__in=ids)


def apply_filters(orders: QuerySet, f: dict[str, str]) -> QuerySet:
    """Status, store, placed from/to (whole days in the current time zone) and search; a store that is not
    an id answers 400."""
    if f["status"] in OrderStatus.values:
        orders = orders.filter(status=f["status"])
    if f["store"]:
        orders = orders.filter(store_id=parse_id(f["store"], "store"))
    if since := _day(f["since"]):
        orders = orders.filter(placed_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until := _day(f["until"]):
        orders = orders.filter(placed_at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1),
                                                                                 time.min)))
    if f["q"]:
        orders = search(orders, f["q"])
    return orders


def tracking_of(order_ids) -> dict[int, list[str]]:
    """Tracking numbers by order, in one query."""
    found: dict[int, list[str]] = {}
    rows = (Package.objects.filter(shipment__order_id__in=list(order_ids)).exclude(tracking_number="")
            .order_by("shipment_id", "id").values_list("shipment__order_id", "tracking_number"))
    for order_id, number in rows:
        found.setdefault(order_id, []).append(number)
    return found


def page(orders: QuerySet, *, after: str = "", before: str = "", size: int = PAGE_SIZE) -> Page:
    """One page newest first: after the `after` cursor (older rows), or before `before` (newer rows)."""
    orders = orders.select_related("store").defer(*UNREAD)
    start_old, start_new = Cursor.parse(after), Cursor.parse(before)
    if start_new:
        rows = list(orders.filter(start_new.newer()).order_by("placed_at", "id")[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        result = Page(rows, newer=Cursor.of(rows[0]) if more else None, older=Cursor.of(rows[-1]) if rows else None)
    else:
        if start_old:
            orders = orders.filter(start_old.older())
        rows = list(orders.order_by("-placed_at", "-id")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        result = Page(rows, newer=Cursor.of(rows[0]) if start_old and rows else None,
                      older=Cursor.of(rows[-1]) if more else None)
    tracking = tracking_of(o.pk for o in rows)
    for o in rows:
        o.tracking = tracking.get(o.pk, [])
    return result


def count(orders: QuerySet) -> tuple[int, bool]:
    """How many orders match, counted up to COUNT_CAP; True when there are more."""
    n = orders.order_by()[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


ADDRESS_FIELDS = [f.name for f in fields(Address)]


def ship_to(order: Order) -> dict:
    """The first ship-to address (every Address field, blank when unknown), and how many more there are."""
    return _address_of(order.destinations)


def _address_of(destinations: list) -> dict:
    dests = destinations or [{}]
    given = dests[0].get("address") or {}
    return {**{k: str(given.get(k) or "") for k in ADDRESS_FIELDS}, "more": max(0, len(dests) - 1),
            "method": dests[0].get("shipping_method") or ""}


CSV_HEADER = ["Order", "Store", "Placed (UTC)", "Status", "Customer", "Email", "Ship-to name", "Company",
              "Street 1", "Street 2", "City", "State", "Postal code", "Country", "Phone", "Shipping method",
              "Tracking", "What to fix"]


def csv_rows(orders: QuerySet, chunk: int = 2000):
    """Every matching order as a CSV row, newest first, read in keyset chunks of `chunk` rows.

    Rows are read as values, not model instances: a third of the time for a large export."""
    orders = orders.order_by("-placed_at", "-id").values(
        "id", "number", "store__name", "placed_at", "status", "customer_name", "customer_email", "destinations",
        "error")
    start: Cursor | None = None
    while True:
        part = orders.filter(start.older()) if start else orders
        rows = list(part[:chunk].iterator(chunk_size=chunk))
        if not rows:
            return
        tracking = tracking_of(r["id"] for r in rows)
        for r in rows:
            a = _address_of(r["destinations"])
            yield [r["number"], r["store__name"], r["placed_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                   OrderStatus(r["status"]).label, r["customer_name"] or a["name"], r["customer_email"], a["name"],
                   a["company"], a["street1"], a["street2"], a["city"], a["state"], a["postal_code"], a["country"],
                   a["phone"], a["method"], " ".join(tracking.get(r["id"], [])), r["error"]]
        if len(rows) < chunk:
            return
        start = Cursor(rows[-1]["placed_at"], rows[-1]["id"])
