"""Each rule action at each hook point, from a BigCommerce sandbox order to what the warehouse receives."""
import pytest

from dockline.core.activity import ActorKind
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.rules import decisions
from dockline.sandbox.demo import wait_until
from dockline.sync.jobs import sync_orders

HOOKS = ["import", "before_send"]


def _place(world, items, method="Flat Rate", **kw) -> str:
    return str(world.store.sandbox.store.place_order(items=items, shipping_method=method, **kw))


def _received(world, number):
    assert wait_until(lambda: number in world.wms.received, 10), f"the warehouse never received #{number}"
    return next(o for o in world.wms.received_orders if o.order_number == number)


def _rule_said(order: Order, rule_name: str) -> list[str]:
    return [a.message for a in order.activity.filter(actor_kind=ActorKind.RULE, actor=rule_name)]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_action_changes_what_the_warehouse_receives_at_each_hook(world, active_rule, hook):
    conn = world.connection
    active_rule(conn, "No socks", "reject: socks ship from the other warehouse", '"ACME-SOCKS" in order.skus', hook)
    active_rule(conn, "Review small tees", "hold: review", '"ACME-TEE-S" in order.skus', hook)
    active_rule(conn, "Gift over 30", "add_item: TT-100-L 1 Gift tee", 'order.skus == ["ACME-MUG"]\norder.total > 30',
                hook)
    active_rule(conn, "No medium tees", "remove_item: ACME-TEE-M", '"ACME-TEE-M" in order.skus', hook)
    active_rule(conn, "Large tees go express", "set_shipping: Express", 'order.skus == ["ACME-TEE-L"]', hook)
    active_rule(conn, "Kits", "set_carrier: DHL EXP\nset_notes: Fragile\nset_priority: 5\nadd_tag: kit",
                'order.skus == ["ACME-CAMP-KIT"]', hook)
    socks = _place(world, [("ACME-SOCKS", 1)])
    held = _place(world, [("ACME-TEE-S", 1)])
    gift = _place(world, [("ACME-MUG", 3)])  # 3 x 12.50 + shipping
    removed = _place(world, [("ACME-TEE-M", 1), ("ACME-MUG", 1)])
    express = _place(world, [("ACME-TEE-L", 1)])
    kit = _place(world, [("ACME-CAMP-KIT", 1)])

    sync_orders(conn)

    order = Order.objects.get(number=socks)
    assert order.status == S.SKIPPED and "socks ship from the other warehouse" in order.activity.last().message
    assert Order.objects.get(number=held).status == S.PENDING
    assert {ln.sku: ln.quantity for ln in _received(world, gift).lines} == {"MUG-ENML-01": 3, "TT-100-L": 1}
    assert {ln.sku for ln in _received(world, removed).lines} == {"MUG-ENML-01"}
    assert (_received(world, express).carrier, _received(world, express).service) == ("FDXE", "2DAY")
    sent_kit = _received(world, kit)
    assert (sent_kit.carrier, sent_kit.service, sent_kit.notes) == ("DHL", "EXP", "Fragile")
    kit_order = Order.objects.get(number=kit)
    assert kit_order.tags == ["kit"] and kit_order.priority == 5
    if hook == "import":  # the priority decides the order of sending; before sending, the order is already next
        first_sent = Order.objects.filter(status=S.OPEN).order_by("dispatches__exchange_id").first()
        assert first_sent == kit_order, "the priority order goes to the warehouse first"
    assert socks not in world.wms.received and held not in world.wms.received
    for number, name in [(socks, "No socks"), (held, "Review small tees"), (gift, "Gift over 30"),
                         (removed, "No medium tees"), (express, "Large tees go express"), (kit, "Kits")]:
        assert _rule_said(Order.objects.get(number=number), name), f"#{number} has no activity by rule {name}"

    decisions.release(Order.objects.get(number=held), "Dana")
    sync_orders(conn)
    assert {ln.sku for ln in _received(world, held).lines} == {"TT-100-S"}, "a released order is not held again"


@pytest.mark.parametrize("hook", HOOKS)
def test_accept_stops_the_later_rules(world, active_rule, hook):
    active_rule(world.connection, "Mugs are fine", "accept", '"ACME-MUG" in order.skus', hook)
    active_rule(world.connection, "Tag the rest", "add_tag: checked", "", hook)
    mug, tee = _place(world, [("ACME-MUG", 1)]), _place(world, [("ACME-TEE-S", 1)])

    sync_orders(world.connection)

    assert Order.objects.get(number=mug).tags == [] and Order.objects.get(number=tee).tags == ["checked"]
    assert _received(world, mug) and _received(world, tee)


@pytest.mark.parametrize("hook", HOOKS)
def test_a_hold_for_a_duration_releases_itself_when_due(world, active_rule, hook):
    from datetime import timedelta

    from django.utils import timezone

    from dockline.rules.holds import release_due_holds

    active_rule(world.connection, "Think about it", "hold: 30m", "", hook)
    number = _place(world, [("ACME-MUG", 1)])
    sync_orders(world.connection)
    order = Order.objects.get(number=number)
    assert order.status == S.PENDING and order.holds.get().until is not None

    assert release_due_holds(world.connection, timezone.now() + timedelta(minutes=29)) == 0
    assert release_due_holds(world.connection, timezone.now() + timedelta(minutes=31)) == 1
    sync_orders(world.connection)
    assert _received(world, number)


def test_an_insert_in_an_order_to_two_addresses_goes_once_and_the_order_still_closes(world, active_rule):
    from dockline.sync.jobs import sync_shipments

    active_rule(world.connection, "Card", "add_item: CARD-THANKS 1 Thank-you card")
    order_id = world.store.sandbox.store.place_multi_address_order([
        {"items": [("ACME-MUG", 1)], "shipping_method": "Flat Rate"},
        {"items": [("ACME-TEE-S", 1)], "shipping_method": "Flat Rate"}])
    sync_orders(world.connection)
    tickets = [_received(world, f"{order_id}-1"), _received(world, f"{order_id}-2")]
    assert sum(ln.quantity for t in tickets for ln in t.lines if ln.sku == "CARD-THANKS") == 1

    assert wait_until(lambda: len({s.order_number for s in world.wms.shipped_shipments}) == 2, 10)
    sync_shipments(world.connection)
    assert Order.objects.get(external_id=str(order_id)).status == S.CLOSED


def test_a_box_with_only_the_insert_does_not_keep_the_order_from_closing(world, active_rule):
    from datetime import UTC, datetime

    from dockline.core.types import Package, ShipmentLine, WarehouseShipment
    from dockline.sync.jobs import sync_shipments

    world.wms.pause()  # we play the warehouse by hand
    active_rule(world.connection, "Card", "add_item: CARD-THANKS 1 Thank-you card")
    number = _place(world, [("ACME-MUG", 1)])
    sync_orders(world.connection)
    now = datetime.now(UTC).replace(microsecond=0)
    boxes = [WarehouseShipment("S-1", number, now, "UPS", "GND", [Package("1ZMUG")], [ShipmentLine("MUG-ENML-01", 1)]),
             WarehouseShipment("S-2", number, now, "UPS", "GND", [Package("1ZCARD")], [ShipmentLine("CARD-THANKS", 1)])]
    fmt = world.connection.warehouse.file_format_handler()
    (world.wms.root / "out" / "shp_0001.csv").write_bytes(fmt.render_shipments(boxes))

    sync_shipments(world.connection)

    order = Order.objects.get(number=number)
    assert order.status == S.CLOSED
    assert [s["tracking_number"] for s in world.store.sandbox.store.shipments_for(int(number))] == ["1ZMUG"]
    assert "only inserts (1ZCARD)" in " ".join(order.activity.values_list("message", flat=True))
