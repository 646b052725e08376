"""X12 997 Functional Acknowledgment, both ways."""
from datetime import UTC, datetime

import pytest

from dockline.core.types import (
    Address,
    ShipmentLine,
    StockLevel,
    WarehouseLine,
    WarehouseOrder,
    WarehouseShipment,
)
from dockline.warehouses.formats.x12 import MemoryControlNumbers, X12Format

DOCKLINE = {"sender_id": "MERCHANT", "receiver_id": "3PLWH"}
ORDER = WarehouseOrder("1001", datetime(2024, 1, 1, tzinfo=UTC), Address(name="A"), "UPSN", "GND",
                       [WarehouseLine(1, "SKU", 1)])
SHIPMENT = WarehouseShipment("S1", "1001", datetime(2024, 1, 2, tzinfo=UTC), "UPSN", "GND", [],
                             [ShipmentLine("SKU", 1)])


def _checked(valid_x12, ack: bytes) -> bytes:
    valid_x12(ack, "997")
    return ack


def _segments(data: bytes) -> list[str]:
    return [s.strip() for s in data.decode().split("~") if s.strip()]


def test_dockline_acknowledges_a_good_945(valid_x12):
    wms = X12Format(DOCKLINE, control_numbers=MemoryControlNumbers(500))
    received = wms.render_shipments([SHIPMENT, SHIPMENT])
    dockline = X12Format(DOCKLINE)
    ack = dockline.render_997(received)
    valid_x12(ack, "997")
    segs = _segments(ack)
    assert segs[0].startswith("ISA*00*          *00*          *ZZ*MERCHANT       *ZZ*3PLWH          *")
    assert segs[1].startswith("GS*FA*MERCHANT*3PLWH*")
    assert segs[3:10] == ["AK1*SW*500", "AK2*945*0500", "AK5*A", "AK2*945*0501", "AK5*A", "AK9*A*2*2*2",
                          segs[9]]
    assert dockline.last_envelope.functional_id == "FA"
    # ... and the warehouse reads it back.
    (fa,) = wms.parse_997(ack).items
    assert fa.accepted and fa.functional_id == "SW" and fa.group_control == 500
    assert [(s.set_id, s.control, s.status) for s in fa.sets] == [("945", "0500", "A"), ("945", "0501", "A")]
    assert fa.interchange_control == f"{dockline.last_envelope.interchange:09d}"


def test_warehouse_acknowledges_our_940_and_we_match_it(valid_x12):
    dockline = X12Format(DOCKLINE)
    sent = dockline.render_orders([ORDER, ORDER])
    valid_x12(sent, "940")
    envelope = dockline.last_envelope
    ack = X12Format(DOCKLINE).render_997(sent)
    valid_x12(ack, "997")
    parsed = dockline.parse_997(ack)
    assert parsed.errors == []
    (fa,) = parsed.items
    assert (fa.functional_id, fa.group_control, fa.status) == ("OW", envelope.group, "A")
    assert [s.control for s in fa.sets] == list(envelope.sets)
    assert (fa.sets_included, fa.sets_received, fa.sets_accepted) == (2, 2, 2)


def test_rejected_set_names_segment_and_element(valid_x12):
    data = X12Format(DOCKLINE).render_shipments([SHIPMENT]).replace(b"W12*CC**1**EA", b"W12*CC**x**EA")
    ack = X12Format(DOCKLINE).render_997(data)
    valid_x12(ack, "997")
    segs = _segments(ack)
    assert "AK5*R*5" in segs
    ak3 = next(s for s in segs if s.startswith("AK3"))
    assert ak3.startswith("AK3*W12*")
    assert "AK4*3**6*x" in segs
    assert any(s.startswith("AK9*R*1*1*0") for s in segs)
    (fa,) = X12Format(DOCKLINE).parse_997(ack).items
    assert not fa.accepted
    (s,) = fa.sets
    assert not s.accepted
    assert "segment has data element errors" in s.describe()
    assert "invalid character in data element" in s.describe()
    assert "rejected" in fa.describe()


def test_envelope_errors_in_the_997(valid_x12):
    good = X12Format(DOCKLINE).render_shipments([SHIPMENT, SHIPMENT])
    se = next(x for x in _segments(good) if x.startswith("SE*"))  # the first set's trailer
    bad_se = good.replace(se.encode(), b"SE*99*0001")
    segs = _segments(_checked(valid_x12, X12Format(DOCKLINE).render_997(bad_se)))
    assert "AK5*R*4" in segs and "AK9*P*2*2*1" in segs
    bad_ge = good.replace(b"GE*2*", b"GE*3*")
    segs = _segments(_checked(valid_x12, X12Format(DOCKLINE).render_997(bad_ge)))
    assert any(s.startswith("AK9*R*3*2*0*5") for s in segs)


def test_partly_bad_846_is_accepted_with_errors(valid_x12):
    at = datetime(2024, 1, 1, tzinfo=UTC)
    data = X12Format(DOCKLINE).render_inventory([StockLevel("A", 1, 1, "", at), StockLevel("B", 2, 2, "", at)])
    data = data.replace(b"QTY*33*1*EA", b"QTY*33*one*EA")
    segs = _segments(_checked(valid_x12, X12Format(DOCKLINE).render_997(data)))
    assert "AK5*E" in segs and "AK9*E*1*1*1" in segs


def test_unsupported_set_is_rejected(valid_x12):
    data = X12Format(DOCKLINE).render_orders([ORDER]).replace(b"ST*940*", b"ST*850*").replace(b"GS*OW", b"GS*PO")
    segs = _segments(_checked(valid_x12, X12Format(DOCKLINE).render_997(data)))
    assert "AK2*850*0001" in segs and "AK5*R*1" in segs


def test_997_needs_an_interchange():
    with pytest.raises(ValueError, match="cannot acknowledge"):
        X12Format(DOCKLINE).render_997(b"hello")


def test_parse_997_errors_are_named(valid_x12):
    ack = _checked(valid_x12, X12Format(DOCKLINE).render_997(X12Format(DOCKLINE).render_orders([ORDER])))
    no_ak9 = b"".join(s + b"~" for s in ack.split(b"~") if not s.strip().startswith(b"AK9")).replace(b"SE*6*", b"SE*5*")
    parsed = X12Format(DOCKLINE).parse_997(no_ak9)
    assert parsed.items == [] and "AK9" in parsed.errors[0].reason
    bad_status = ack.replace(b"AK5*A", b"AK5*Q")
    parsed = X12Format(DOCKLINE).parse_997(bad_status)
    assert parsed.items == [] and "AK501 acknowledgment code 'Q'" in parsed.errors[0].reason
    assert "not a 997" in X12Format(DOCKLINE).parse_997(X12Format(DOCKLINE).render_orders([ORDER])).errors[0].reason


def test_a_group_trailer_counting_more_sets_than_ak902_can_hold_gets_a_conforming_997(valid_x12):
    wms = X12Format(DOCKLINE, control_numbers=MemoryControlNumbers(500))
    received = wms.render_inventory([StockLevel("SKU", 5, 5)]).replace(b"\nGE*1*", b"\nGE*99999999999999999999*")
    assert b"GE*99999999999999999999*" in received
    segs = _segments(_checked(valid_x12, X12Format(DOCKLINE).render_997(received)))
    ak9 = next(s for s in segs if s.startswith("AK9*")).split("*")
    assert ak9[1] == "R" and ak9[2] == "1"  # rejected; AK902 echoes the one set received


def test_a_group_in_an_unknown_version_is_rejected_by_a_997_in_a_version_that_exists(valid_x12):
    wms = X12Format(DOCKLINE, control_numbers=MemoryControlNumbers(500))
    received = wms.render_inventory([StockLevel("SKU", 5, 5)]).replace(b"*X*004010", b"*X*999999999999")
    assert b"*X*999999999999" in received
    segs = _segments(_checked(valid_x12, X12Format(DOCKLINE).render_997(received)))
    assert next(s for s in segs if s.startswith("GS*")).endswith("*X*004010")
    ak9 = next(s for s in segs if s.startswith("AK9*")).split("*")
    assert ak9[1] == "R" and "2" in ak9[5:]  # functional group version not supported
