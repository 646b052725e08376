"""The connector against the sandbox: what it imports in each mode and what lands in Acumatica on shipment."""
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Package, StockUpdate, StoreShipment, StoreShipmentLine


def _shipment(order, lines, tracking=("1ZAAA",), reference="WH-1", carrier="UPS", service="GND", **package):
    return StoreShipment(
        order_external_id=order, destination_ref="", lines=[StoreShipmentLine(i, q) for i, q in lines],
        carrier=carrier, service=service, tracking_numbers=list(tracking), shipped_at=datetime.now(UTC),
        packages=[Package(t, **package) for t in tracking], reference=reference,
    )


def test_sales_order_mode_imports_open_orders_with_lines_address_and_contact(sandbox, connect):
    nbr = sandbox.instance.place_order([("A", 2), ("B", 1)], "UPSGROUND")
    sandbox.instance.place_order([("C", 1)], "UPSGROUND", status="On Hold")  # not ready to fulfil
    sandbox.instance.place_order([("C", 1)], "UPSGROUND", order_type="QT")  # another order type

    [order] = connect().fetch_orders(None)
    assert (order.external_id, order.number, order.store_status) == (f"SO:{nbr}", nbr, "Open")
    assert [(line.line_id, line.sku, line.quantity) for line in order.lines] == [("1", "A", 2), ("2", "B", 1)]
    [dest] = order.destinations
    assert dest.shipping_method == "UPSGROUND"
    assert (dest.address.name, dest.address.company, dest.address.city, dest.address.country) == (
        f"Pat Buyer {nbr}", "Acme Customer Inc.", "Portland", "US")
    assert order.customer_email == dest.address.email == f"buyer{nbr}@example.com"
    assert order.modified_at.tzinfo is UTC


def _lists(sandbox, entity="SalesOrder"):
    return [path for method, path in sandbox.instance.stats.requests if path.endswith(f"/{entity}")]


@pytest.mark.parametrize("answer_order", ["key order", "any order"])
def test_paging_reads_every_order_whatever_order_the_api_answers_in(sandbox, connect, answer_order):
    numbers = [sandbox.instance.place_order([("A", 1)], "UPSGROUND") for _ in range(230)]
    if answer_order == "any order":  # the API promises no order and has no $orderby
        sandbox.app.shuffle = random.Random(12)
    assert sorted(o.number for o in connect().fetch_orders(None)) == numbers
    if answer_order == "key order":
        assert len(_lists(sandbox)) == 6  # 100 + keys-only proof, 100 + proof, 30; then the Canceled ones: none
    else:
        assert len(_lists(sandbox)) < 40


def test_asks_only_for_orders_modified_since_by_their_last_modified_field(sandbox, connect, clock):
    numbers = [sandbox.instance.place_order([("A", 1)], "UPSGROUND") for _ in range(3)]
    connector = connect()
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert list(connector.fetch_orders(later)) == []
    sandbox.instance.orders[("SO", numbers[1])]["LastModified"] = later + timedelta(seconds=1)
    [changed] = connector.fetch_orders(later)
    assert changed.number == numbers[1] and changed.modified_at == later + timedelta(seconds=1)

    clock.advance(seconds=5)
    planned = sandbox.instance.create_shipment_for("SO", numbers[2])
    shipments = connect(mode="shipments")
    assert [o.number for o in shipments.fetch_orders(later)] == [planned]
    assert list(shipments.fetch_orders(datetime.now(UTC) + timedelta(seconds=60))) == []


def test_sales_order_mode_ships_with_packages_ship_via_and_confirms(sandbox, connect):
    sandbox.instance.ship_vias.add("UPSGROUND2")
    nbr = sandbox.instance.place_order([("A", 2), ("B", 1)], "UPSGROUND")
    connector = connect(ship_via_codes="UPS/GND=UPSGROUND2", box_id="SMALL")
    shipped = _shipment(f"SO:{nbr}", [("1", 2), ("2", 1)], tracking=("1ZAAA", "1ZBBB"), weight=Decimal("2.5"),
                        box_id="")
    number = connector.post_shipment(shipped)

    record = sandbox.instance.shipments[number]
    assert record["Status"] == "Confirmed" and record["ShipVia"] == "UPSGROUND2"
    assert [(d["InventoryID"], d["ShippedQty"]) for d in record["Details"]] == [("A", 2.0), ("B", 1.0)]
    assert [(p["BoxID"], p["Weight"], p["TrackingNbr"]) for p in record["Packages"]] == [
        ("SMALL", 2.5, "1ZAAA"), ("SMALL", 2.5, "1ZBBB")]
    assert all("UPS GND" in p["Description"] for p in record["Packages"])
    assert sandbox.instance.orders[("SO", nbr)]["Status"] == "Completed"
    polls = [p for m, p in sandbox.instance.stats.requests if "/ConfirmShipment/status/" in p]
    assert polls, "the 202 Accepted action was polled until 204"

    assert connector.post_shipment(shipped) == number  # posted again: recognised, nothing new
    assert len(sandbox.instance.shipments) == 1


def test_an_unmapped_carrier_keeps_the_orders_ship_via_and_is_written_on_the_package(sandbox, connect):
    nbr = sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    number = connect().post_shipment(_shipment(f"SO:{nbr}", [("1", 1)], carrier="OnTrac", service="Ground"))
    record = sandbox.instance.shipments[number]
    assert record["ShipVia"] == "UPSGROUND" and record["Packages"][0]["Description"].startswith("OnTrac Ground")


def test_partial_shipment_in_sales_order_mode_then_the_rest(sandbox, connect):
    nbr = sandbox.instance.place_order([("A", 3), ("B", 1)], "UPSGROUND")
    connector = connect()
    first = connector.post_shipment(_shipment(f"SO:{nbr}", [("1", 2)], tracking=("1ZONE",), reference="WH-1"))
    assert sandbox.instance.orders[("SO", nbr)]["Status"] == "Back Order"
    second = connector.post_shipment(_shipment(f"SO:{nbr}", [("1", 1), ("2", 1)], tracking=("1ZTWO",),
                                               reference="WH-2"))
    assert first != second
    shipped = {(d["InventoryID"], s["ShipmentNbr"]): d["ShippedQty"] for s in sandbox.instance.shipments.values()
               for d in s["Details"]}
    assert shipped == {("A", first): 2.0, ("A", second): 1.0, ("B", second): 1.0}
    assert sandbox.instance.orders[("SO", nbr)]["Status"] == "Completed"


def test_shipment_mode_imports_open_shipments_and_confirms_a_partial_one_then_ships_the_rest(sandbox, connect):
    nbr = sandbox.instance.place_order([("A", 3), ("B", 2)], "UPSGROUND")
    planned = sandbox.instance.create_shipment_for("SO", nbr)
    connector = connect(mode="shipments")
    [order] = connector.fetch_orders(None)
    assert (order.external_id, order.number) == (planned, planned)
    [dest] = order.destinations  # the ship-to of a Shipment sits under ShippingSettings
    assert (dest.address.name, dest.address.street1, dest.address.city, dest.address.country) == (
        f"Pat Buyer {nbr}", f"{100 + int(nbr)} Pine St", "Portland", "US")
    assert order.customer_email == f"buyer{nbr}@example.com" and dest.shipping_method == "UPSGROUND"
    assert [(line.sku, line.quantity) for line in order.lines] == [("A", 3), ("B", 2)]
    line_a, line_b = (line.line_id for line in order.lines)

    assert connector.post_shipment(_shipment(planned, [(line_a, 3)], tracking=("1ZP1",))) == planned
    record = sandbox.instance.shipments[planned]
    assert record["Status"] == "Confirmed" and [p["TrackingNbr"] for p in record["Packages"]] == ["1ZP1"]
    assert [(d["InventoryID"], d["ShippedQty"]) for d in record["Details"]] == [("A", 3.0)]
    assert sandbox.instance.orders[("SO", nbr)]["Status"] == "Back Order"
    assert list(connector.fetch_orders(None)) == []  # confirmed: no longer open

    rest = connector.post_shipment(_shipment(planned, [(line_b, 2)], tracking=("1ZP2",), reference="WH-2"))
    assert rest != planned and sandbox.instance.shipments[rest]["Status"] == "Confirmed"
    assert sandbox.instance.orders[("SO", nbr)]["Status"] == "Completed"
    assert connector.post_shipment(_shipment(planned, [(line_b, 2)], tracking=("1ZP2",), reference="WH-2")) == rest
    assert len(sandbox.instance.shipments) == 2


def test_a_shipment_whose_answer_was_lost_is_found_and_confirmed_next_time(sandbox, connect):
    nbr = sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    connector = connect()
    shipped = _shipment(f"SO:{nbr}", [("1", 1)])
    list(connector.fetch_orders(None))  # signed in
    sandbox.app.action_seconds = 60  # the confirmation never finishes within this run
    import dockline.platforms.acumatica.client as client_module

    client_module.ACTION_TIMEOUT, saved = 0.3, client_module.ACTION_TIMEOUT
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.post_shipment(shipped)
    finally:
        client_module.ACTION_TIMEOUT = saved
    assert caught.value.kind == ErrorKind.RETRYABLE
    [(number, record)] = sandbox.instance.shipments.items()
    record["Status"] = "Open"  # as if that action had failed on the server
    sandbox.app.action_seconds = 0.05
    assert connector.post_shipment(shipped) == number
    assert sandbox.instance.shipments[number]["Status"] == "Confirmed" and len(sandbox.instance.shipments) == 1


def test_a_refused_ship_via_shows_acumaticas_field_error_and_what_to_fix(sandbox, connect):
    nbr = sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    connector = connect(ship_via_codes="UPS/GND=XYZ")
    with pytest.raises(ConnectorError) as caught:
        connector.post_shipment(_shipment(f"SO:{nbr}", [("1", 1)]))
    assert caught.value.kind == ErrorKind.FATAL
    assert "Ship Via 'XYZ' cannot be found in the system (field ShipVia)" in caught.value.message
    assert "Ship Via codes setting" in caught.value.message
    assert "raised at least one error" not in caught.value.message  # the generic text alone says nothing
    assert sandbox.instance.shipments == {}


def test_refusals_are_explained_and_classified(sandbox, connect):
    nbr = sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    slept = []
    connector = connect(sleep=slept.append)
    with pytest.raises(ConnectorError) as too_many:
        connector.post_shipment(_shipment(f"SO:{nbr}", [("1", 5)]))
    assert too_many.value.kind == ErrorKind.FATAL and "exceeds the quantity" in too_many.value.message
    assert "(field Details[1].ShippedQty)" in too_many.value.message
    assert slept == []  # a business rule's refusal is not tried again
    sandbox.faults.fail_next(1, 503)
    list(connector.fetch_orders(None))  # a passing outage is retried within the call
    sandbox.faults.fail_next(3, 503)
    with pytest.raises(ConnectorError) as down:
        list(connector.fetch_orders(None))
    assert down.value.kind == ErrorKind.RETRYABLE and down.value.message.endswith("Tried 3 times.")
    assert slept == [0.5, 0.5, 1.0]
    with pytest.raises(ConnectorError) as bad_mode:
        connect(mode="invoices")
    assert "sales_orders" in bad_mode.value.message


def test_stock_is_not_pushed_to_the_erp(connect):
    result = connect().push_stock([StockUpdate("A", 5)])
    assert result.updated == [] and result.skipped[0][0] == "A" and "own stock" in result.skipped[0][1]
