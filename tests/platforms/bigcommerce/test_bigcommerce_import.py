"""Importing from the sandbox store through the orders service: the overlap cursor at its edges,
page boundaries, and orders that ship to several addresses."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from dockline.mapping.services import Mapper
from dockline.orders.imports import CURSOR_OVERLAP, import_orders
from dockline.orders.models import Order
from dockline.orders.services import map_order, warehouse_orders


def _cursor(connection) -> datetime:
    return datetime.fromisoformat(connection.channels.get(kind="orders").cursor["modified_since"])


def _imported(connection) -> list[str]:
    return sorted(Order.objects.filter(connection=connection).values_list("external_id", flat=True), key=int)


def test_overlap_cursor_catches_late_writes_and_imports_nothing_twice(sandbox, connector, connection_stub):
    store = sandbox.store
    store.add_product(sku="SKU", price="1.00")
    now = datetime.now(UTC).replace(microsecond=0)
    first = store.place_order(items=[("SKU", 1)], placed_at=now - timedelta(minutes=20))
    second = store.place_order(items=[("SKU", 1)], placed_at=now - timedelta(minutes=10))
    assert import_orders(connection_stub, connector) == {"fetched": 2, "new": 2}
    cursor = _cursor(connection_stub)
    assert cursor == now - timedelta(minutes=10)  # the newest modification seen

    # written after the run but stamped before the cursor (another server's clock, a slow commit):
    late = store.place_order(items=[("SKU", 1)], placed_at=cursor - timedelta(minutes=2))
    at_edge = store.place_order(items=[("SKU", 1)], placed_at=cursor - CURSOR_OVERLAP)  # exactly the overlap
    too_late = store.place_order(items=[("SKU", 1)], placed_at=cursor - CURSOR_OVERLAP - timedelta(seconds=1))
    counts = import_orders(connection_stub, connector)

    assert counts == {"fetched": 3, "new": 2}  # `second` comes again (inside the overlap) and is not stored twice
    assert _imported(connection_stub) == sorted(map(str, [first, second, late, at_edge]), key=int)
    assert str(too_late) not in _imported(connection_stub)  # beyond the overlap: the next full re-read finds it
    assert _cursor(connection_stub) == cursor  # never moves backwards
    since = {parse_qs(q)["min_date_modified"][0] for m, p, q, s in sandbox.stats.log
             if p.endswith("/v2/orders") and "min_date_modified" in q}
    assert len(since) == 1  # the second run asked from cursor - overlap (for each status it reads)

    # the order changes later (status round trip): fetched again, still one order
    store.set_status(first, 7)
    store.set_status(first, 11)
    assert import_orders(connection_stub, connector) == {"fetched": 4, "new": 0}  # it and the overlap again
    assert _cursor(connection_stub) > cursor
    assert Order.objects.filter(connection=connection_stub).count() == 4


def test_no_order_missed_or_doubled_at_page_boundaries(sandbox, connector, connection_stub):
    store = sandbox.store
    store.add_product(sku="SKU", price="1.00")
    same_second = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    ids = [store.place_order(items=[("SKU", 1)], placed_at=same_second) for _ in range(251)]
    assert import_orders(connection_stub, connector) == {"fetched": 251, "new": 251}
    more = [store.place_order(items=[("SKU", 1)], placed_at=same_second) for _ in range(249)]
    counts = import_orders(connection_stub, connector)
    assert counts == {"fetched": 500, "new": 249}
    assert _imported(connection_stub) == [str(i) for i in ids + more]


def test_consignments_keep_each_addresses_lines_together(sandbox, connector, connection_stub):
    store = sandbox.store
    for sku in ("A", "B", "C"):
        store.add_product(sku=sku, price="2.00")
    oid = store.place_multi_address_order([
        {"items": [("A", 1), ("B", 2)], "address": {"city": "Austin"}},
        {"items": [("C", 3)], "address": {"city": "Denver"}},
    ])
    import_orders(connection_stub, connector)
    order = Order.objects.get(external_id=str(oid))
    mapper = Mapper(listings={}, rules={"*": ("UPS", "Ground")}, warehouse_skus={"A", "B", "C"})
    assert map_order(order, mapper) == []
    tickets = warehouse_orders(order, mapper)
    assert [(t.order_number, t.ship_to.city, [(line.sku, line.quantity) for line in t.lines]) for t in tickets] == [
        (f"{oid}-1", "Austin", [("A", 1), ("B", 2)]),
        (f"{oid}-2", "Denver", [("C", 3)]),
    ]
