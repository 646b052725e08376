"""X12 cancellations: the 940 with W0501 "F" and the warehouse's 870 answer, each checked by the independent
validator, read back, acknowledged, and never mistaken for an order to ship."""
from datetime import UTC, datetime

from dockline.core.types import Address, CancelAnswer, CancelOutcome, CancelRequest, WarehouseLine, WarehouseOrder
from dockline.warehouses.formats.base import RenderError
from dockline.warehouses.formats.x12 import X12Format

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
ORDER = WarehouseOrder("1001-2", AT, Address(name="Ann Lee", street1="1 Main St", city="Chicago", state="IL",
                                              postal_code="60601", country="US"),
                       "UPSN", "Ground", [WarehouseLine(1, "MUG-1", 2)])
WAREHOUSE_SIDE = {"sender_id": "WAREHOUSE", "receiver_id": "DOCKLINE"}


def test_the_cancellation_940_carries_w0501_f_and_passes_the_validator(valid_x12):
    data = X12Format().render_cancellations([CancelRequest("1001-2", AT, "customer asked", ORDER)])

    valid_x12(data, "940")
    assert b"W05*F*1001-2~" in data
    assert X12Format.cancel_pattern.match(X12Format().cancellation_filename("1001-2", AT))


def test_a_cancellation_940_is_not_read_as_an_order_to_ship_but_as_a_cancellation():
    data = X12Format().render_cancellations([CancelRequest("1001-2", AT, "", ORDER)])
    warehouse = X12Format(WAREHOUSE_SIDE)

    assert warehouse.parse_orders(data).items == []
    assert [r.order_number for r in warehouse.parse_cancellations(data).items] == ["1001-2"]
    assert b"AK5*A~" in warehouse.render_997(data)


def test_a_cancellation_without_the_order_as_sent_is_refused_naming_the_element():
    try:
        X12Format().render_cancellations([CancelRequest("1001-2", AT)])
    except RenderError as exc:
        assert exc.field == "W0502"
    else:
        raise AssertionError("rendered a 940 without its order")


def test_the_870_answers_pass_the_validator_and_read_back_as_cancelled_or_too_late(valid_x12):
    warehouse = X12Format(WAREHOUSE_SIDE)
    data = warehouse.render_cancel_answers([CancelAnswer("1001-2", CancelOutcome.CANCELLED, AT),
                                            CancelAnswer("1002", CancelOutcome.TOO_LATE, AT)])

    valid_x12(data, "870")
    parsed = X12Format().parse_cancel_answers(data)
    assert parsed.errors == []
    assert [(a.order_number, a.outcome, a.answered_at) for a in parsed.items] == [
        ("1001-2", CancelOutcome.CANCELLED, AT), ("1002", CancelOutcome.TOO_LATE, AT)]
    valid_x12(X12Format().render_997(data), "997")


def test_an_870_with_an_unknown_status_code_is_an_error_naming_isr01():
    data = X12Format(WAREHOUSE_SIDE).render_cancel_answers([CancelAnswer("1001", CancelOutcome.CANCELLED, AT)])
    parsed = X12Format().parse_cancel_answers(data.replace(b"ISR*DE", b"ISR*ZZ"))

    assert parsed.items == []
    assert "ISR01 shipment/order status code 'ZZ'" in parsed.errors[0].reason
    assert b"AK5*R" in X12Format().render_997(data.replace(b"ISR*DE", b"ISR*ZZ"))
