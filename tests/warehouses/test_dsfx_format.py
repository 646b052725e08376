"""DSFX CSV: render/parse round trips, file names, and how bad input is reported."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from dockline.core.types import (
    Address,
    Package,
    ShipmentLine,
    StockLevel,
    WarehouseLine,
    WarehouseOrder,
    WarehouseShipment,
)
from dockline.warehouses.formats import format_class
from dockline.warehouses.formats.base import Parsed
from dockline.warehouses.formats.dsfx import HEADER_V1, HEADER_V2, HEADER_V3, DsfxFormat

AT = datetime(2024, 5, 1, 12, 30, 45, tzinfo=UTC)


def order(number="1001", **kw) -> WarehouseOrder:
    base = dict(
        order_number=number,
        placed_at=AT,
        ship_to=Address(
            name='Jo "JJ" Smith, Jr.',
            company="Acme, Inc.\nShipping dept.",
            street1="1 Main St",
            street2="Suite 5",
            city="Zürich",
            state="ZH",
            postal_code="8001",
            country="CH",
            phone="+41 44 000 00 00",
        ),
        carrier="UPS",
        service="GND",
        lines=[WarehouseLine(1, "SKU-A", 2, "Widget, large"), WarehouseLine(2, "SKU-B", 1, 'Gadget 3"')],
        email="jo@example.com",
        notes="Leave at door,\r\nring twice",
        facility="EAST",
    )
    base.update(kw)
    return WarehouseOrder(**base)


def shipment(sid="S1", number="1001", **kw) -> WarehouseShipment:
    base = dict(
        shipment_id=sid,
        order_number=number,
        shipped_at=AT + timedelta(days=1),
        carrier="UPS",
        service="GND",
        packages=[
            Package("1Z999AA10123456784", Decimal("2.50"), Decimal("12"), Decimal("8"), Decimal("4")),
            Package("1Z999AA10123456785", Decimal("1.25"), None, None, None),
        ],
        lines=[ShipmentLine("SKU-A", 2), ShipmentLine("SKU-B", 1)],
    )
    base.update(kw)
    return WarehouseShipment(**base)


def fmt(version="2") -> DsfxFormat:
    return DsfxFormat({"dsfx_version": version})


def test_registry_and_settings():
    assert format_class("dsfx") is DsfxFormat
    assert DsfxFormat({}).version == "2"
    assert DsfxFormat({"dsfx_version": 3}).version == "3"
    assert DsfxFormat({"dsfx_version": "v1"}).version == "1"
    with pytest.raises(ValueError):
        DsfxFormat({"dsfx_version": "7"})
    assert DsfxFormat.inventory_is_snapshot is True


def test_file_names_and_patterns():
    f = fmt()
    eastern = timezone(timedelta(hours=-4))
    assert f.order_filename("1001", datetime(2024, 5, 1, 8, 30, 45, tzinfo=eastern)) == "ord_1001_240501123045.csv"
    assert f.order_filename("A/B 7", AT) == "ord_A-B-7_240501123045.csv"
    assert DsfxFormat.order_pattern.match(f.order_filename("1001", AT))
    assert f.shipment_filename("S-1", AT) == "shp_S-1_240501123045.csv"
    assert DsfxFormat.shipment_pattern.match(f.shipment_filename("S 1", AT))
    name = f.inventory_filename(AT.replace(microsecond=123456))
    assert name == "inv_240501123045123.csv" and DsfxFormat.inventory_pattern.match(name)
    # temp names used while uploading never match
    for temp in (".shp_1.csv.part", ".inv_1.csv.tmp", "shp_1.csv.part", ".ord_1.csv.part"):
        assert not DsfxFormat.shipment_pattern.match(temp)
        assert not DsfxFormat.inventory_pattern.match(temp)
        assert not DsfxFormat.order_pattern.match(temp)


@pytest.mark.parametrize(
    "version,columns", [("1", HEADER_V1), ("2", HEADER_V2), ("3", HEADER_V3)]
)
def test_orders_round_trip_each_version(version, columns):
    f = fmt(version)
    orders = [order("1001"), order("1002", lines=[WarehouseLine(1, "SKU-C", 7)], carrier="USPS", service="PRI")]
    data = f.render_orders(orders)
    first_row = data.split(b"\r\n")[0].decode()
    assert first_row == ",".join([f"DSFX-V{version}", *columns[1:]])
    parsed = DsfxFormat({}).parse_orders(data)  # the reader learns the version from the file
    assert parsed.errors == []
    expected = orders
    if version == "1":
        expected = [dataclasses.replace(o, email="", notes="", facility="") for o in orders]
    elif version == "2":
        expected = [dataclasses.replace(o, facility="") for o in orders]
    assert parsed.items == expected


def test_orders_bad_rows_are_reported_and_good_orders_still_parse():
    data = (
        "DSFX-V2," + ",".join(HEADER_V2[1:]) + "\r\n"
        "H,1001,2024-05-01T12:00:00Z,\"Smith,\nJo\",,1 Main,,City,ST,12345,US,,UPS,GND,a@b.c,\r\n"  # lines 2-3
        "D,1001,1,SKU-A,2,\r\n"  # 4
        "H,1002,2024-05-01T12:00:00Z,Lee,,2 Main,,City,ST,12345,US,,UPS,GND,,\r\n"  # 5
        "D,1002,1,SKU-A,abc,\r\n"  # 6
        "D,1002,2,SKU-B,1,\r\n"  # 7
        "H,1003,yesterday,Kim,,3 Main,,City,ST,12345,US,,UPS,GND,,\r\n"  # 8
        "D,1003,1,SKU-A,1,\r\n"  # 9
        "H,1004,2024-05-01,Ray,,4 Main,,City,ST,12345,US,,FEDEX,2DAY,,\r\n"  # 10
        "D,1004,1,SKU-A,1,\r\n"  # 11
        "D,9999,2,SKU-A,1,\r\n"  # 12
        "H,1005,2024-05-01T00:00:00+02:00,Ann,,5 Main,,City,ST,12345,US,,UPS,GND,,\r\n"  # 13
        "D,1005,1,SKU-A,1,\r\n"  # 14
        "Z,1005,2,SKU-A,1,\r\n"  # 15
        "H,1006,2024-05-01T00:00:00Z,Bo,,6 Main,,City,ST,12345,US,,UPS,GND,,\r\n"  # 16
        "H,1007,2024-05-01T00:00:00Z,Cy,,7 Main,,City,ST,12345,US,,UPS,GND\r\n"  # 17: too few columns
        "\r\n"
        "H,1008,2024-05-01T00:00:00Z,Di,,8 Main,,City,ST,12345,US,,UPS,GND,,,,\r\n"  # 19: empty extras are fine
        "D,1008,1,SKU-A,0,\r\n"  # 20
        "D,1008,1,SKU-B,1,\r\n"  # 21
    ).encode()
    parsed = fmt().parse_orders(data)
    assert [o.order_number for o in parsed.items] == ["1001"]
    assert parsed.items[0].ship_to.name == "Smith,\nJo"
    reasons = [str(e) for e in parsed.errors]
    assert reasons == [
        "line 6: quantity 'abc' is not a whole number (order 1002 not read)",
        "line 8: order_date 'yesterday' is not an ISO 8601 date and time (order 1003 not read)",
        "line 12: order_number '9999' does not match its header row's '1004' (order 1004 not read)",
        "line 15: record_type 'Z' is not H (pick header) or D (pick detail) (order 1005 not read)",
        "line 16: order 1006 has no detail (D) rows",
        "line 17: header (H) row for DSFX v2 has 14 columns, expected 16 (order 1007 not read)",
        "line 20: quantity '0' must be at least 1 (order 1008 not read)",
        "line 21: line_no '1' appears twice (order 1008 not read)",
    ]


def test_detail_before_header():
    data = ("DSFX-V1," + ",".join(HEADER_V1[1:]) + "\nD,1,1,A,1,\n").encode()
    parsed = fmt().parse_orders(data)
    assert parsed.items == [] and [str(e) for e in parsed.errors] == ["line 2: detail (D) row before any header (H) row"]


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"\xff\xfeD\x00", "not UTF-8"),
        (b"", "empty"),
        (b"\r\n \r\n", "empty"),
        (b"H,1001,2024-05-01T00:00:00Z\r\nD,1001,1,A,1,\r\n", "no column-header row"),
        (("DSFX-V9," + ",".join(HEADER_V2[1:]) + "\r\n").encode(), "unknown DSFX version '9'"),
        (("DSFX-V3," + ",".join(HEADER_V2[1:]) + "\r\n").encode(), "does not match DSFX v3"),
        (("DSFX-V1," + ",".join(HEADER_V2[1:]) + "\r\n").encode(), "DSFX v1 has 14"),
        (b'DSFX-V2,"unterminated\r\n', "does not match"),
    ],
)
def test_orders_file_level_errors(data, reason):
    parsed = fmt().parse_orders(data)
    assert parsed.items == []
    assert len(parsed.errors) == 1 and reason in str(parsed.errors[0])


def test_bom_and_lf_line_endings_are_accepted():
    data = fmt().render_orders([order()]).replace(b"\r\n", b"\n")
    parsed = fmt().parse_orders(b"\xef\xbb\xbf" + data)
    assert parsed.errors == []
    assert parsed.items[0].order_number == "1001"


def test_render_refuses_what_cannot_be_read_back():
    with pytest.raises(ValueError):
        fmt().render_orders([order(lines=[])])
    with pytest.raises(ValueError):
        fmt().render_shipments([shipment(packages=[Package("A|B")])])
    with pytest.raises(ValueError):
        fmt().render_shipments([shipment(lines=[])])


# -- shipments -----------------------------------------------------------------------


def test_shipments_round_trip():
    shipments = [
        shipment("S1"),
        shipment("S2", "1002", packages=[Package("9400111899223197428490")], lines=[ShipmentLine("SKU-C", 3)]),
        shipment("S3", "1003", packages=[], lines=[ShipmentLine("SKU-D", 1)], carrier="", service=""),
    ]
    data = fmt().render_shipments(shipments)
    assert data.startswith(b"order_number,shipment_id,ship_date,carrier,service,tracking_numbers,sku,quantity,")
    parsed = fmt().parse_shipments(data)
    assert parsed.errors == []
    assert parsed.items == shipments
    assert parsed.items[0].tracking_numbers == ["1Z999AA10123456784", "1Z999AA10123456785"]


def test_shipment_rows_are_grouped_by_shipment_id():
    data = (
        "shipment_id,order_number,ship_date,tracking_numbers,sku,quantity,package_weight,warehouse_note\n"
        "S1,1001,2024-05-02T10:00:00Z,T1|T2,A,1,1.5|2,hello\n"
        "S2,1002,2024-05-02T11:00:00Z,T9,C,4,,\n"
        "S1,1001,2024-05-02T10:00:00Z,T2|T3,B,2,2|0.5,\n"
        "S1,1001,2024-05-02T10:00:00Z,T3,A,1,,\n"
    ).encode()
    parsed = fmt().parse_shipments(data)
    assert parsed.errors == []
    s1, s2 = parsed.items
    assert (s1.shipment_id, s1.order_number, s1.carrier) == ("S1", "1001", "")
    assert s1.tracking_numbers == ["T1", "T2", "T3"]
    assert [p.weight for p in s1.packages] == [Decimal("1.5"), Decimal("2"), Decimal("0.5")]
    assert s1.lines == [ShipmentLine("A", 2), ShipmentLine("B", 2)]
    assert s2.lines == [ShipmentLine("C", 4)] and s2.shipped_at == datetime(2024, 5, 2, 11, tzinfo=UTC)


def test_shipments_bad_rows_leave_out_only_their_shipment():
    header = "order_number,shipment_id,ship_date,carrier,service,tracking_numbers,sku,quantity,package_weight\n"
    data = (
        header
        + "1001,S1,2024-05-02T10:00:00Z,UPS,GND,T1,A,1,1\n"  # 2
        + "1001,S1,2024-05-02T10:00:00Z,UPS,GND,T1,B,abc,1\n"  # 3
        + "1001,S1,2024-05-02T10:00:00Z,UPS,GND,T1,C,1,1\n"  # 4
        + "1002,S2,2024-05-02T10:00:00Z,UPS,GND,T2,A,1,heavy\n"  # 5
        + "1003,S3,2024-05-02T10:00:00Z,UPS,GND,T3,A,1,1\n"  # 6
        + "1004,S3,2024-05-02T10:00:00Z,UPS,GND,T3,B,1,1\n"  # 7
        + "1005,S5,not a date,UPS,GND,T5,A,1,\n"  # 8
        + "1006,,2024-05-02T10:00:00Z,UPS,GND,T6,A,1,\n"  # 9
        + "1007,S7,2024-05-02T10:00:00Z,UPS,GND,T7|T8,A,1,1\n"  # 10
        + "1008,S8,2024-05-02T10:00:00Z,UPS,GND,T9,A,2,-1\n"  # 11
        + "1009,S9,2024-05-02T10:00:00Z,UPS,GND,T10,A,2,3.5\n"  # 12: good
    ).encode()
    parsed = fmt().parse_shipments(data)
    assert [s.shipment_id for s in parsed.items] == ["S9"]
    assert [str(e) for e in parsed.errors] == [
        "line 3: quantity 'abc' is not a whole number (shipment S1 not read)",
        "line 5: package_weight 'heavy' is not a number (shipment S2 not read)",
        "line 7: order_number '1004' differs from line 6 of shipment S3 (shipment S3 not read)",
        "line 8: ship_date 'not a date' is not an ISO 8601 date and time (shipment S5 not read)",
        "line 9: shipment_id is empty",
        "line 10: package_weight '1' has 1 value(s) for 2 package(s) in tracking_numbers (shipment S7 not read)",
        "line 11: package_weight '-1' must not be negative (shipment S8 not read)",
    ]


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"\x80abc", "not UTF-8"),
        (b"1001,S1,2024-05-02T10:00:00Z,UPS,GND,T1,A,1\n", "no shipment header row"),
        (b"order_number,shipment_id,ship_date,sku\n1001,S1,2024-05-02,A\n", "missing quantity"),
    ],
)
def test_shipments_file_level_errors(data, reason):
    parsed = fmt().parse_shipments(data)
    assert parsed.items == [] and len(parsed.errors) == 1
    assert reason in str(parsed.errors[0])


# -- inventory -----------------------------------------------------------------------


def test_inventory_round_trip_and_bad_rows():
    levels = [
        StockLevel("SKU-A", 10, 8, "EAST", AT),
        StockLevel("SKU-A", 3, 3, "WEST", None),
        StockLevel("SKU, B", 0, -2, "", AT),
    ]
    data = fmt().render_inventory(levels)
    assert data.startswith(b"sku,on_hand,available,facility,as_of\r\n")
    assert fmt().parse_inventory(data) == Parsed(levels, [])

    bad = (
        "sku,available,on_hand\n"  # columns in any order; facility/as_of optional
        "A,5,5\n"
        "B,five,5\n"
        ",1,1\n"
        "C,1,-1\n"
        "A,2,2\n"
        "D,1.5,2\n"
        "E,0,0\n"
    ).encode()
    parsed = fmt().parse_inventory(bad)
    assert [(s.sku, s.on_hand, s.available) for s in parsed.items] == [("A", 5, 5), ("E", 0, 0)]
    assert [str(e) for e in parsed.errors] == [
        "line 3: available 'five' is not a whole number",
        "line 4: sku is empty",
        "line 5: on_hand '-1' must be at least 0",
        "line 6: sku 'A' is listed twice (first on line 2)",
        "line 7: available '1.5' is not a whole number",
    ]


def test_inventory_file_level_errors():
    for data in (b"", b"\xc3\x28", b"A,1,1\n", b"sku,on_hand\nA,1\n"):
        parsed = fmt().parse_inventory(data)
        assert parsed.items == [] and len(parsed.errors) == 1, data
