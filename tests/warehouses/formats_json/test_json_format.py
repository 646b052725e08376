"""JSON warehouse files: round trips, tolerant parsing, paths in errors, fuzzing."""
import json
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockline.core.types import (
    Address,
    Package,
    ShipmentLine,
    StockLevel,
    WarehouseLine,
    WarehouseOrder,
    WarehouseShipment,
)
from dockline.warehouses.formats.base import Parsed
from dockline.warehouses.formats.jsonfmt import JsonFormat

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_text = st.text(max_size=30)
ident = st.text(min_size=1, max_size=20).map(str.strip).filter(bool)
moment = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)).map(
    lambda d: d.replace(tzinfo=UTC))
measure = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False,
                                           allow_infinity=False))


@st.composite
def orders(draw):
    numbers = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=5, unique=True))
    return WarehouseOrder(
        order_number=draw(ident),
        placed_at=draw(moment),
        ship_to=Address(*[draw(any_text) for _ in range(10)]),
        carrier=draw(any_text.map(str.strip)),
        service=draw(any_text.map(str.strip)),
        lines=[WarehouseLine(n, draw(ident), draw(st.integers(1, 10**12)), draw(any_text)) for n in numbers],
        email=draw(any_text.map(str.strip)),
        notes=draw(any_text),
        facility=draw(any_text.map(str.strip)),
    )


@st.composite
def shipments(draw):
    skus = draw(st.lists(ident, min_size=1, max_size=5, unique=True))
    return WarehouseShipment(
        shipment_id=draw(ident),
        order_number=draw(ident),
        shipped_at=draw(moment),
        carrier=draw(any_text.map(str.strip)),
        service=draw(any_text.map(str.strip)),
        packages=[
            Package(draw(any_text.map(str.strip)), draw(measure), draw(measure), draw(measure), draw(measure),
                    draw(any_text.map(str.strip)))
            for _ in range(draw(st.integers(0, 4)))
        ],
        lines=[ShipmentLine(s, draw(st.integers(1, 10**9))) for s in skus],
    )


@st.composite
def levels(draw):
    keys = draw(st.lists(st.tuples(ident, any_text.map(str.strip)), max_size=10, unique=True))
    return [
        StockLevel(sku, draw(st.integers(0, 10**12)), draw(st.integers(-(10**9), 10**12)), facility,
                   draw(st.one_of(st.none(), moment)))
        for sku, facility in keys
    ]


@SETTINGS
@given(st.lists(orders(), max_size=3), st.booleans())
def test_orders_round_trip(batch, pretty):
    fmt = JsonFormat({"pretty": pretty})
    parsed = fmt.parse_orders(fmt.render_orders(batch))
    assert parsed.errors == []
    assert parsed.items == batch


@SETTINGS
@given(st.lists(shipments(), max_size=3, unique_by=lambda s: s.shipment_id))
def test_shipments_round_trip(batch):
    fmt = JsonFormat({})
    parsed = fmt.parse_shipments(fmt.render_shipments(batch))
    assert parsed.errors == []
    assert parsed.items == batch


@SETTINGS
@given(levels())
def test_inventory_round_trip(stock):
    fmt = JsonFormat({})
    parsed = fmt.parse_inventory(fmt.render_inventory(stock))
    assert parsed.errors == []
    assert parsed.items == stock


def test_file_names_and_document_shape():
    fmt = JsonFormat({})
    at = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert fmt.order_filename("A 1", at) == "ord_A-1_240506070809.json"
    assert JsonFormat.order_pattern.match(fmt.order_filename("A 1", at))
    assert JsonFormat.shipment_pattern.match(fmt.shipment_filename("S/1", at))
    assert fmt.inventory_filename(at) == "inv_240506070809123.json"
    assert JsonFormat.inventory_is_snapshot is True
    doc = json.loads(fmt.render_shipments([WarehouseShipment(
        "S1", "1001", at, "UPS", "GND", [Package("1Z", Decimal("2.50"))], [ShipmentLine("A", 1)])]))
    assert doc["version"] == 1
    assert doc["shipments"][0]["shipped_at"] == "2024-05-06T07:08:09.123456Z"
    assert doc["shipments"][0]["packages"][0]["weight"] == 2.5


def test_tolerant_reading():
    data = b"""\xef\xbb\xbf{"version": 1, "extra": {"ignored": [1, 2]}, "shipments": [
      {"shipment_id": 42, "order_number": "1001", "shipped_at": "2024-05-02T10:30:00-04:00",
       "lines": [{"sku": "A", "quantity": "2"}, {"sku": "A", "quantity": 1.0}, {"sku": "B", "quantity": 3}],
       "packages": [{"tracking_number": "1Z", "weight": "1.25", "unknown": true}], "note": "hi"}
    ]}"""
    parsed = JsonFormat({}).parse_shipments(data)
    assert parsed.errors == []
    (s,) = parsed.items
    assert s.shipment_id == "42"
    assert s.shipped_at == datetime(2024, 5, 2, 14, 30, tzinfo=UTC)
    assert s.lines == [ShipmentLine("A", 3), ShipmentLine("B", 3)]
    assert s.packages == [Package("1Z", Decimal("1.25"))]
    assert (s.carrier, s.service) == ("", "")
    # A bare list of records is read too; naive times are UTC.
    parsed = JsonFormat({}).parse_inventory(b'[{"sku": "A", "on_hand": 3, "available": 2, "as_of": "2024-01-01T00:00"}]')
    assert parsed.items == [StockLevel("A", 3, 2, "", datetime(2024, 1, 1, tzinfo=UTC))]


def test_errors_name_the_path_and_leave_out_only_bad_records():
    records = [
        {"shipment_id": f"S{i}", "order_number": "1", "shipped_at": "2024-01-01T00:00:00Z",
         "lines": [{"sku": "A", "quantity": 1}]}
        for i in range(5)
    ]
    records[3]["lines"][0]["quantity"] = 0
    records[1]["packages"] = [{"weight": "heavy"}]
    records[4]["shipped_at"] = "yesterday"
    del records[2]["order_number"]
    data = json.dumps({"version": 1, "shipments": records}, indent=1).encode()
    parsed = JsonFormat({}).parse_shipments(data)
    assert [s.shipment_id for s in parsed.items] == ["S0"]
    reasons = [e.reason for e in parsed.errors]
    assert reasons == [
        "shipments[1].packages[0].weight 'heavy' is not a number",
        "shipments[2].order_number is missing",
        "shipments[3].lines[0].quantity 0 must be at least 1",
        "shipments[4].shipped_at 'yesterday' is not an ISO 8601 date and time",
    ]
    lines = data.decode().splitlines()
    for err in parsed.errors:  # each error points at the line where its record starts
        assert lines[err.line - 1].strip() == "{"


def test_file_level_errors():
    fmt = JsonFormat({})
    assert "not valid JSON" in fmt.parse_orders(b'{"orders": [').errors[0].reason
    assert "not UTF-8" in fmt.parse_orders(b"\xff\xfe").errors[0].reason
    assert 'no "inventory" list' in fmt.parse_inventory(b'{"orders": []}').errors[0].reason
    assert "version" in fmt.parse_inventory(b'{"version": 2, "inventory": []}').errors[0].reason
    assert "empty" in fmt.parse_inventory(b"  ").errors[0].reason
    assert "NaN" in fmt.parse_inventory(b'[{"sku": "A", "on_hand": NaN}]').errors[0].reason
    for parsed in (fmt.parse_orders(b"{"), fmt.parse_shipments(b"[1]")):
        assert parsed.items == [] and len(parsed.errors) == 1


def test_duplicates_are_reported():
    inv = b'{"inventory": [{"sku": "A", "on_hand": 1, "available": 1}, {"sku": "A", "on_hand": 2, "available": 2}]}'
    parsed = JsonFormat({}).parse_inventory(inv)
    assert parsed.items == [StockLevel("A", 1, 1)]
    assert "listed twice" in parsed.errors[0].reason


# -- fuzzing --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["orders", "shipments", "inventory", "version", "sku", "lines", "quantity", "packages",
                         "ship_to", "placed_at", "shipped_at", "on_hand", "available", "weight", "x"]),
        children, max_size=6),
    max_leaves=25,
)


def _never_raises(data: bytes) -> None:
    fmt = JsonFormat({})
    for parse in (fmt.parse_orders, fmt.parse_shipments, fmt.parse_inventory):
        result = parse(data)
        assert isinstance(result, Parsed)
        assert all("internal error" not in e.reason for e in result.errors), result.errors


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    _never_raises(data)


@FUZZ
@given(json_values)
def test_arbitrary_json(value):
    _never_raises(json.dumps(value).encode())
    for key in ("orders", "shipments", "inventory"):
        _never_raises(json.dumps({key: value}).encode())
        _never_raises(json.dumps({key: [value]}).encode())
