"""eBay orders into Dockline: paged by limit and offset, the engine's overlap cursor, cancelled orders never
sent, a line without SKU stopped with eBay's words, and eBay's service and ship-by date for the warehouse."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import dockline.platforms.ebay.connector as ebay_connector
from dockline.orders.imports import CURSOR_OVERLAP, import_orders
from dockline.orders.models import Order
from dockline.orders.services import prepare_orders
from dockline.orders.status import OrderStatus
from dockline.platforms.ebay.mapping import ebay_time


def _queries(rec):
    return [parse_qs(urlsplit(str(rq.url)).query) for rq, _ in rec.pairs if rq.url.path.endswith("/order")]


def test_orders_are_read_page_by_page_until_ebays_total_none_twice_none_lost(sandbox, connector, recorder,
                                                                             contracts, monkeypatch):
    monkeypatch.setattr(ebay_connector, "PAGE", 7)
    sandbox.store.add_item("MUG", "Camp Mug")
    ids = [sandbox.store.place_order([("MUG", 1)]) for _ in range(30)]
    rec = recorder(connector)
    got = list(connector.fetch_orders(None))
    assert sorted(o.external_id for o in got) == sorted(ids) and len(got) == 30
    assert [q["offset"][0] for q in _queries(rec)] == ["0", "7", "14", "21", "28"]
    assert {q["limit"][0] for q in _queries(rec)} == {"7"}
    assert [o.modified_at for o in got] == sorted(o.modified_at for o in got)  # oldest first, though eBay answers newest first
    for request, response in rec.pairs:
        contracts.validate(request, response)


def test_only_orders_modified_since_the_cursor_and_not_yet_shipped_are_asked_for(sandbox, connector, recorder):
    sandbox.store.add_item("MUG", "Camp Mug")
    old = sandbox.store.place_order([("MUG", 1)])
    time.sleep(0.01)
    since = datetime.now(UTC)
    time.sleep(0.01)
    fresh = sandbox.store.place_order([("MUG", 1)])
    rec = recorder(connector)
    assert [o.external_id for o in connector.fetch_orders(since)] == [fresh]
    [flt] = _queries(rec)[0]["filter"]
    assert flt.startswith(f"lastmodifieddate:[{ebay_time(since)}..") and flt.endswith(",orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}")
    assert old in {o.external_id for o in connector.fetch_orders(since - timedelta(minutes=5))}


def test_the_engine_asks_again_with_its_overlap_so_an_order_modified_meanwhile_is_not_missed(ebay_world):
    sb = ebay_world.store.sandbox
    connection = ebay_world.connection
    first = sb.store.place_order([("ACME-MUG", 1)], "Flat Rate")
    assert import_orders(connection, connection.store.connector()) == {"fetched": 1, "new": 1}
    cursor = connection.channels.get(kind="orders").cursor["modified_since"]
    second = sb.store.place_order([("ACME-MUG", 2)], "Flat Rate")
    counts = import_orders(connection, connection.store.connector())
    # the overlap window brings the first order again (a no-op) and the new one
    assert counts == {"fetched": 2, "new": 1}
    assert set(Order.objects.filter(connection=connection).values_list("external_id", flat=True)) == {first, second}
    query = parse_qs([q for m, p, q, _ in sb.store.log if m == "GET" and p.endswith("/order")][-1])
    since = datetime.fromisoformat(cursor) - CURSOR_OVERLAP
    assert query["filter"][0].startswith(f"lastmodifieddate:[{ebay_time(since)}..")


def test_an_order_with_a_cancellation_requested_or_done_comes_marked_cancelled(sandbox, connector):
    sandbox.store.add_item("MUG", "Camp Mug")
    keep = sandbox.store.place_order([("MUG", 1)])
    asked = sandbox.store.place_order([("MUG", 1)], cancel_state="IN_PROGRESS")
    done = sandbox.store.place_order([("MUG", 1)])
    sandbox.store.touch(done, cancelStatus={"cancelState": "CANCELED", "cancelRequests": []})
    fetched = {o.external_id: o.cancelled for o in connector.fetch_orders(None)}
    assert fetched == {keep: False, asked: True, done: True}


def test_a_line_without_sku_stops_the_order_saying_where_ebay_keeps_the_sku(ebay_world):
    sb = ebay_world.store.sandbox
    connection = ebay_world.connection
    order_id = sb.store.place_order([("ACME-MUG", 1), ("", 1)], "Flat Rate")
    import_orders(connection, connection.store.connector())
    prepare_orders(connection)
    order = Order.objects.get(connection=connection, external_id=order_id)
    assert order.status == OrderStatus.ERROR
    assert "has no SKU" in order.error and "Custom label" in order.error and "Seller Hub" in order.error
    assert "eBay item 1" in order.error  # the listing's item number, to find it


def test_the_warehouse_gets_ebays_shipping_service_and_the_ship_by_date(sandbox, connector):
    sandbox.store.add_item("MUG", "Camp Mug")
    order_id = sandbox.store.place_order([("MUG", 2)], "UPSGround")
    [order] = connector.fetch_orders(None)
    ship_by = sandbox.store.orders[order_id]["lineItems"][0]["lineItemFulfillmentInstructions"]["shipByDate"]
    assert order.destinations[0].shipping_method == "UPSGround"
    assert f"Ship by {ship_by[:10]} {ship_by[11:16]} UTC" in order.notes and "deliver by" in order.notes
    assert order.raw["shipByDate"] == ship_by
    assert order.destinations[0].address.country == "US" and order.lines[0].quantity == 2


def test_an_order_with_only_the_fields_ebay_always_sends_maps_without_guessing():
    from dockline.platforms.ebay.mapping import to_store_order

    order = to_store_order({"orderId": "27-00001-00001", "creationDate": "2026-01-05T09:00:00.000Z",
                            "lastModifiedDate": "2026-01-05T10:00:00.000Z",
                            "lineItems": [{"lineItemId": "1", "quantity": 3, "title": "Lamp", "sku": "LAMP",
                                           "lineItemCost": {"value": "30.00", "currency": "USD"}}]})
    assert order.number == "27-00001-00001" and order.notes == "" and order.destinations[0].shipping_method == ""
    assert order.modified_at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert order.lines[0].sku == "LAMP" and order.lines[0].unit_price == Decimal("10")


def test_the_warehouse_file_carries_the_ebay_service_mapped_and_the_ship_by_date(ebay_world):
    from dockline.sync.jobs import sync_orders
    from dockline.warehouses.models import ExchangeRecord

    sb = ebay_world.store.sandbox
    order_id = sb.store.place_order([("ACME-MUG", 1)], "Express")  # eBay's service code, mapped by a shipping rule
    ship_by = sb.store.orders[order_id]["lineItems"][0]["lineItemFulfillmentInstructions"]["shipByDate"]
    sync_orders(ebay_world.connection)
    assert Order.objects.get(external_id=order_id).status == OrderStatus.OPEN  # at the warehouse
    [sent] = [r.data.decode() for r in ExchangeRecord.objects.all() if order_id in r.data.decode()]
    assert f"Ship by {ship_by[:10]} {ship_by[11:16]} UTC" in sent and "FDXE" in sent
