"""Rules that route and split orders across two simulated warehouses over FTP, at each hook point: each
warehouse receives its part exactly once, never also the whole order."""
import pytest
from django.core.exceptions import ValidationError

from dockline.connections.models import Routing
from dockline.core.activity import ActorKind
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.rules.engine import trace_rule
from dockline.rules.models import Rule
from dockline.rules.services import save_rule
from dockline.sandbox.demo import SECOND_WAREHOUSE
from dockline.sync.jobs import sync_orders


@pytest.fixture
def two(transactional_db):
    """The demo world with its second warehouse (Harbor 3PL, the only one with lanterns); every order to the
    first warehouse unless a rule says otherwise. Both warehouses only act on `tick()`."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=3600, partial_rate=0.0, second_warehouse=True,
                   simulate=False)
    w.connection.routing = Routing.FIRST
    w.connection.save(update_fields=["routing"])
    yield w
    w.stop()


def _skus(wms, number):
    return sorted((ln.sku, ln.quantity) for o in wms.received_orders if o.order_number == number for ln in o.lines)


def _place(world, items) -> str:
    return str(world.store.sandbox.store.place_order(items=items, shipping_method="Flat Rate"))


def _sync_twice_and_tick(world):
    sync_orders(world.connection)
    sync_orders(world.connection)  # a second run sends nothing again
    for wms in world.all_wms:
        wms.tick()


@pytest.mark.parametrize("hook", ["import", "before_send"])
def test_a_routed_order_reaches_only_the_named_warehouse_once_and_the_others_go_to_the_first(two, active_rule, hook):
    active_rule(two.connection, "Lanterns from Harbor", f"route: {SECOND_WAREHOUSE.lower()}",
                '"LANTERN-300" in order.skus', hook)
    routed = _place(two, [("LANTERN-300", 1), ("ACME-MUG", 2)])
    plain = _place(two, [("ACME-MUG", 1)])
    _sync_twice_and_tick(two)

    first, second = two.wms, two.other_wms[0]
    assert (first.received, second.received) == ({plain: 1}, {routed: 1})
    assert _skus(second, routed) == [("LANTERN-300", 1), ("MUG-ENML-01", 2)]
    order = Order.objects.get(number=routed)
    assert order.status == S.OPEN
    assert order.activity.filter(actor_kind=ActorKind.RULE, actor="Lanterns from Harbor",
                                 message=f"Routed to warehouse {SECOND_WAREHOUSE}.").exists()


def test_a_before_send_split_gives_each_warehouse_exactly_its_part_once(two, active_rule):
    active_rule(two.connection, "Split big orders", "split: availability", "order.units >= 3", "before_send")
    number = _place(two, [("LANTERN-300", 2), ("ACME-MUG", 1)])
    _sync_twice_and_tick(two)

    first, second = two.wms, two.other_wms[0]
    assert (first.received, second.received) == ({number: 1}, {number: 1})
    assert (_skus(first, number), _skus(second, number)) == ([("MUG-ENML-01", 1)], [("LANTERN-300", 2)])
    assert Order.objects.get(number=number).status == S.OPEN


def test_a_route_to_a_warehouse_the_merchant_does_not_have_is_refused_when_saved(two):
    rule = Rule(merchant=two.connection.merchant, name="Typo", hook="import", actions="route: Harbour 3PL")
    with pytest.raises(ValidationError) as refused:
        save_rule(rule)
    [message] = refused.value.message_dict["actions"]
    assert "'Harbour 3PL' is not a warehouse of the merchant" in message and SECOND_WAREHOUSE in message


def test_a_route_to_a_warehouse_the_connection_lost_is_said_in_the_activity_and_the_order_goes_to_the_first(
        two, active_rule):
    active_rule(two.connection, "All to Harbor", f"route: {SECOND_WAREHOUSE}", hook="before_send")
    two.connection.other_warehouses.all().delete()  # Harbor no longer serves the connection
    number = _place(two, [("ACME-MUG", 1)])
    sync_orders(two.connection)
    two.wms.tick()

    assert two.wms.received == {number: 1}
    said = [a.message for a in Order.objects.get(number=number).activity.filter(level="warning")]
    assert any(m.startswith(f"Rule 'All to Harbor': could not route the order to warehouse '{SECOND_WAREHOUSE}'")
               for m in said)


def test_the_test_trace_shows_route_and_split_and_routes_nothing(two, active_rule):
    rule = active_rule(two.connection, "Harbor then split", f"route: {SECOND_WAREHOUSE}\nsplit: availability")
    rule.active = False
    rule.save()
    two.connection.routing = Routing.FIRST
    number = _place(two, [("LANTERN-300", 1)])
    from dockline.orders.imports import import_orders

    import_orders(two.connection, two.connection.store.connector())
    order = Order.objects.get(number=number)
    before = order.activity.count()
    trace = trace_rule(rule, order)
    assert trace.acts
    assert trace.actions == [f"route the whole order to warehouse {SECOND_WAREHOUSE}",
                             "split the order across the connection's warehouses by what each has in stock"]
    assert not order.parts.exists() and order.activity.count() == before
