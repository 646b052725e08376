"""A warehouse file cut off part-way (a transfer that broke off, a WMS still writing it) is never read as data.

X12 and JSON files carry an envelope, so any cut is refused. A DSFX (CSV) file has none: a cut inside
a row is refused (its cells may be cut too, a quantity of 12 read as 1), while a cut exactly at a row's
end leaves a shorter file of whole rows that no reader can tell from a complete one; the settle time
(docs/formats/README.md) guards against that.
"""
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dockline.core.types import Package, ShipmentLine, StockLevel, WarehouseShipment
from dockline.warehouses.formats import formats
from dockline.warehouses.formats.dsfx import DsfxFormat

AT = datetime(2026, 12, 1, 15, 4, 5, tzinfo=UTC)
SHIPMENTS = [
    WarehouseShipment("S1", "1001", AT, "UPS", "GND", [Package("1Z1111", Decimal("2.5")), Package("1Z2222")],
                      [ShipmentLine("MUG-1", 12), ShipmentLine("TEE-2", 3)]),
    WarehouseShipment("S2", "1002", AT, "USPS", "PRI", [Package("9400111")], [ShipmentLine("MUG-1", 120)]),
]
LEVELS = [StockLevel("MUG-1", 120, 118, "", AT), StockLevel("TEE-2", 30, 30, "", AT)]


def _cuts(data: bytes):
    return ((cut, data[:cut]) for cut in range(1, len(data)))


def test_a_shipment_file_cut_off_inside_a_row_is_refused_not_read_as_a_smaller_quantity():
    data = DsfxFormat().render_shipments(SHIPMENTS[:1])
    cut = data.index(b",12,") + 2  # "...,MUG-1,1": the 12 cut to 1, the package columns missing
    parsed = DsfxFormat().parse_shipments(data[:cut])
    assert parsed.items == []
    assert [str(e) for e in parsed.errors] == [
        "line 2: the file stops in this row, at 8 of the header's 12 columns and with no line break: it looks "
        "cut off (still being written, or its transfer broke off), so nothing in it was read. A WMS that "
        "writes files in place needs a longer settle_seconds"
    ]


def test_a_stock_file_cut_off_inside_a_row_is_refused_not_read_as_a_smaller_quantity():
    data = b"sku,on_hand,available,facility\r\nMUG-1,120,118,EAST\r\nTEE-2,30,3"  # the 30 available cut to 3
    parsed = DsfxFormat().parse_inventory(data)
    assert parsed.items == []
    assert "line 3: the file stops in this row, at 3 of the header's 4 columns" in str(parsed.errors[0])


def test_a_last_row_without_a_line_break_is_read_when_it_has_every_column():
    """RFC 4180: the last record may or may not have an ending line break."""
    data = b"sku,on_hand,available\nMUG-1,120,118\nTEE-2,30,30"
    parsed = DsfxFormat().parse_inventory(data)
    assert parsed.errors == []
    assert [(s.sku, s.available) for s in parsed.items] == [("MUG-1", 118), ("TEE-2", 30)]


def _stops_short_of_the_last_cell(part: bytes) -> bool:
    tail = part.rsplit(b"\n", 1)[-1]
    return bool(tail.strip()) and tail.count(b",") < part.split(b"\r\n", 1)[0].count(b",")


def test_wherever_a_dsfx_file_is_cut_inside_a_row_the_reader_refuses_it_and_at_a_row_end_reads_rows_as_written():
    """A cut inside a row's last cell leaves every column there (its value maybe cut): no reader can tell it from
    a whole row without a line break, which RFC 4180 allows. The settle time guards that case too."""
    dsfx = DsfxFormat()
    shipments = {s.shipment_id: s for s in SHIPMENTS}
    for data, parse, as_written in (
        (dsfx.render_shipments(SHIPMENTS), dsfx.parse_shipments,
         lambda got: set(got.lines) <= set(shipments[got.shipment_id].lines)
         and got.packages == shipments[got.shipment_id].packages),
        (dsfx.render_inventory(LEVELS), dsfx.parse_inventory, lambda got: got in LEVELS),
    ):
        for cut, part in _cuts(data):
            parsed = parse(part)
            if _stops_short_of_the_last_cell(part):
                assert parsed.items == [] and len(parsed.errors) == 1, (cut, part[-20:])
            elif part.endswith(b"\r\n"):
                assert parsed.errors == [] and all(as_written(got) for got in parsed.items), (cut, part[-20:])


@pytest.mark.parametrize("name", ["json", "x12"])
def test_wherever_an_enveloped_file_is_cut_the_reader_refuses_it_or_reads_it_whole(name):
    fmt = formats()[name]({})
    for render, parse, items in ((fmt.render_shipments, fmt.parse_shipments, SHIPMENTS),
                                 (fmt.render_inventory, fmt.parse_inventory, LEVELS)):
        data = render(items)
        whole = parse(data)
        assert whole.errors == [] and len(whole.items) == len(items)
        for cut, part in _cuts(data):
            parsed = parse(part)
            assert parsed.errors or parsed.items == whole.items, (name, cut, part[-20:])
