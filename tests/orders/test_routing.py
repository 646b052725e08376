"""Routing an order among a connection's warehouses by their last reported stock, less what is on its way."""
from datetime import timedelta

import pytest
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import BufferUnit, Connection, ConnectionWarehouse, Store
from dockline.connections.services import ActionRefused
from dockline.core.activity import Actor, ActorKind, Event
from dockline.inventory.models import StockLevel
from dockline.inventory.services import stock_terms, store_quantities
from dockline.mapping.models import Listing, ListingComponent
from dockline.orders.models import Dispatch, Order, OrderLine
from dockline.orders.routing import holding_warehouse, route_to_warehouse, split_by_availability
from dockline.orders.status import OrderStatus as S
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse

RULE = Actor(ActorKind.RULE, "Lanterns ship from Harbor")


@pytest.fixture
def conn(db):
    org = Organization.objects.create(name="Riverside Fulfillment")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme store", platform="bigcommerce")
    first, second = (Warehouse.objects.create(organization=org, name=name, credentials={"host": "127.0.0.1"})
                     for name in ("Riverside", "Harbor"))
    connection = Connection.objects.create(organization=org, name="Acme", merchant=merchant, store=store,
                                           warehouse=first)
    ConnectionWarehouse.objects.create(connection=connection, warehouse=second, position=1)
    return connection


def _stock(warehouse, counted_ago=timedelta(hours=1), **skus):
    for sku, qty in skus.items():
        StockLevel.objects.create(warehouse=warehouse, sku=sku, available=qty, on_hand=qty,
                                  as_of=timezone.now() - counted_ago)


def _order(conn, number, status=S.QUEUED, **lines):
    now = timezone.now()
    order = Order.objects.create(connection=conn, store=conn.store, external_id=number, number=number, status=status,
                                 placed_at=now, store_modified_at=now,
                                 destinations=[{"ref": "1", "address": {}, "shipping_method": "Flat Rate"}])
    for i, (sku, qty) in enumerate(lines.items()):
        OrderLine.objects.create(order=order, line_id=str(i), sku=sku, quantity=qty,
                                 components=[{"sku": sku, "quantity": 1}])
    return order


def _sent(order, warehouse):
    """The order's file is at `warehouse` (sent now, after its count)."""
    exchange = ExchangeRecord.objects.create(warehouse=warehouse, direction=Direction.OUT, kind=ExchangeKind.ORDERS,
                                             filename=f"ord_{order.number}.csv", checksum="x", size=1, content=b"x")
    exchange.move_to(ExchangeState.SENT)
    Dispatch.objects.create(order=order, warehouse=warehouse, warehouse_order_number=order.number,
                            destination_ref="1", exchange=exchange)
    order.status = S.OPEN
    order.save(update_fields=["status"])


def _parts(order):
    return {p.warehouse.name: {pl.order_line.sku: pl.quantity for pl in p.lines.all()} for p in order.parts.all()}


def test_an_order_goes_to_the_first_warehouse_that_still_holds_every_line_after_orders_in_flight(conn):
    first, second = conn.warehouses()
    _stock(first, MUG=5, TEE=50)
    _stock(second, MUG=20, TEE=3)
    _sent(_order(conn, "1000", MUG=4), first)  # Riverside has not counted since: only 1 mug left there
    order = _order(conn, "1001", MUG=2, TEE=3)
    assert holding_warehouse(order) == second
    route_to_warehouse(order, holding_warehouse(order), actor=RULE)
    assert _parts(order) == {"Harbor": {"MUG": 2, "TEE": 3}}
    entry = order.activity.get(event=Event.ROUTED)
    assert (entry.actor_kind, entry.actor, entry.message) == (ActorKind.RULE, RULE.label, "Routed to warehouse Harbor.")


def test_no_single_warehouse_holding_everything_splits_lines_by_availability(conn):
    first, second = conn.warehouses()
    _stock(first, MUG=3, LANTERN=0)
    _stock(second, MUG=2, LANTERN=1)
    order = _order(conn, "1002", MUG=4, LANTERN=2)
    parts = split_by_availability(order, actor=RULE)
    assert len(parts) == 2
    # 3 mugs from Riverside, the 4th from Harbor; Harbor's one lantern, and the other waits at Riverside
    assert _parts(order) == {"Riverside": {"MUG": 3, "LANTERN": 1}, "Harbor": {"MUG": 1, "LANTERN": 1}}
    assert "Split by availability across 2 warehouse(s)" in order.activity.get(event=Event.ROUTED).message


def test_a_split_is_not_made_when_one_warehouse_holds_it_all(conn):
    first, second = conn.warehouses()
    _stock(first, MUG=1)
    _stock(second, MUG=9)
    order = _order(conn, "1003", MUG=2)
    assert [p.warehouse for p in split_by_availability(order)] == [second]


def test_an_order_already_at_a_warehouse_or_a_warehouse_of_another_connection_is_refused(conn):
    first, _ = conn.warehouses()
    sent = _order(conn, "1004", MUG=1)
    _sent(sent, first)
    with pytest.raises(ActionRefused, match="already at a warehouse"):
        route_to_warehouse(sent, first, actor=RULE)
    stranger = Warehouse.objects.create(organization=conn.organization, name="Elsewhere")
    with pytest.raises(ActionRefused, match="does not serve"):
        route_to_warehouse(_order(conn, "1005", MUG=1), stranger, actor=RULE)
    assert not sent.parts.exists()


def test_the_store_is_offered_the_sum_over_warehouses_less_in_flight_and_the_listings_own_buffer(conn):
    first, second = conn.warehouses()
    _stock(first, MUG=30, SOCK=10)
    _stock(second, MUG=12)
    _sent(_order(conn, "1006", MUG=5), second)
    conn.stock_buffer, conn.stock_buffer_unit = 10, BufferUnit.PERCENT
    conn.save()
    kit = Listing.objects.create(connection=conn, store_sku="KIT", stock_buffer=1, stock_buffer_unit=BufferUnit.UNITS)
    ListingComponent.objects.create(listing=kit, warehouse_sku="MUG", quantity=1)
    ListingComponent.objects.create(listing=kit, warehouse_sku="SOCK", quantity=2)

    terms, unknown = stock_terms(conn)
    mug = terms["MUG"]
    assert [(t.warehouse, t.available, t.in_flight, t.net) for t in mug.warehouses] == [
        ("Riverside", 30, 0, 30), ("Harbor", 12, 5, 7)]
    assert (mug.total, mug.held_back, mug.quantity) == (37, 4, 33)  # 10% of 37 rounded up
    # a kit is 1 mug + 2 socks: Riverside makes 5, Harbor has no socks; the listing holds back 1 unit
    assert [(t.warehouse, t.net) for t in terms["KIT"].warehouses] == [("Riverside", 5), ("Harbor", 0)]
    assert (terms["KIT"].held_back, terms["KIT"].quantity, str(terms["KIT"].buffer)) == (1, 4, "1 unit(s)")
    assert unknown == {}
    assert store_quantities(conn)[0] == {"KIT": 4, "MUG": 33, "SOCK": 9}


def test_orders_imported_but_not_sent_yet_are_taken_from_what_the_store_is_offered(conn):
    """The store lowered its count when these orders were placed and no warehouse knows of them yet: pushing the
    warehouses' figure alone would hand those units back to the store to sell again."""
    first, _ = conn.warehouses()
    _stock(first, MUG=30, SOCK=10)
    kit = Listing.objects.create(connection=conn, store_sku="KIT")
    ListingComponent.objects.create(listing=kit, warehouse_sku="MUG", quantity=1)
    ListingComponent.objects.create(listing=kit, warehouse_sku="SOCK", quantity=2)
    _order(conn, "1010", MUG=3)  # queued
    _order(conn, "1011", status=S.ERROR, SOCK=1)  # waiting for a fix
    unmapped = _order(conn, "1012", status=S.NEW, KIT=1)  # not mapped yet: counted as its listing's components
    unmapped.lines.update(components=[])
    _order(conn, "1013", status=S.CANCELED, MUG=7)  # never sent: takes nothing
    _sent(_order(conn, "1014", MUG=2), first)  # at the warehouse after its count: in flight, not counted twice

    terms, _ = stock_terms(conn)
    assert (terms["MUG"].warehouses[0].in_flight, terms["MUG"].not_sent, terms["MUG"].quantity) == (2, 4, 24)
    assert (terms["SOCK"].not_sent, terms["SOCK"].quantity) == (3, 7)
    # a kit is 1 mug + 2 socks: 28 mugs and 10 socks make 5; 4 mugs and 3 socks are spoken for, which is 4 kits
    # by the mugs (counted by the component most taken, rounded up: never a kit that a held order needs)
    assert (terms["KIT"].total, terms["KIT"].not_sent, terms["KIT"].quantity) == (5, 4, 1)


def test_a_warehouse_that_does_not_serve_the_store_adds_no_stock(conn):
    first, second = conn.warehouses()
    _stock(first, MUG=3)
    _stock(second, MUG=40)
    ConnectionWarehouse.objects.filter(connection=conn).update(serves_stock=False)
    assert store_quantities(conn)[0] == {"MUG": 3}
