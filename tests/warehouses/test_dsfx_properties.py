"""Property tests: DSFX parsers never raise, and render -> parse gives back what went in."""
from __future__ import annotations

import re
import string
from datetime import UTC, datetime

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
from dockline.warehouses.formats.base import Parsed, RowError
from dockline.warehouses.formats.dsfx import (
    DETAIL_COLUMNS,
    HEADER_COLUMNS,
    INVENTORY_COLUMNS,
    SHIPMENT_COLUMNS,
    DsfxFormat,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Free text: anything encodable, including commas, quotes, CR/LF and NUL.
free_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=25)
# Codes the parser trims (carrier, state, SKU, ...): no surrounding white space.
code = st.text(string.ascii_letters + string.digits + "-_. /", max_size=12).map(str.strip)
ident = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,15}", fullmatch=True)
moment = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
measure = st.none() | st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


def _check_parsed(result, item_type) -> None:
    assert isinstance(result, Parsed)
    assert all(isinstance(i, item_type) for i in result.items)
    assert all(isinstance(e, RowError) and isinstance(str(e), str) for e in result.errors)


@SETTINGS
@given(st.binary(max_size=600) | st.text(max_size=600).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_parsers_never_raise_on_arbitrary_bytes(data):
    f = DsfxFormat({})
    _check_parsed(f.parse_orders(data), WarehouseOrder)
    _check_parsed(f.parse_shipments(data), WarehouseShipment)
    _check_parsed(f.parse_inventory(data), StockLevel)


@SETTINGS
@given(st.text(max_size=600))
def test_parsers_never_raise_on_arbitrary_text(text):
    f = DsfxFormat({})
    _check_parsed(f.parse_orders(text), WarehouseOrder)  # type: ignore[arg-type]
    _check_parsed(f.parse_shipments(text), WarehouseShipment)  # type: ignore[arg-type]
    _check_parsed(f.parse_inventory(text), StockLevel)  # type: ignore[arg-type]


# CSV-shaped input behind a valid header row, so the row-level code is exercised too.
cell = st.one_of(
    free_text,
    st.sampled_from(["H", "D", "1", "0", "-3", "abc", "2024-05-01T00:00:00Z", "1.5|2", "T1|T2", "", "|", "1e9"]),
)
rows = st.lists(st.lists(cell, max_size=18), max_size=12)


def _csv(header: list[str], body: list[list[str]]) -> bytes:
    import csv
    import io

    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *body])
    return out.getvalue().encode("utf-8", "surrogatepass")


@SETTINGS
@given(st.sampled_from(["1", "2", "3"]), rows, st.data())
def test_parsers_never_raise_behind_a_valid_header(version, body, data):
    f = DsfxFormat({})
    # Make many rows look like H/D rows of a plausible width.
    for row in body:
        if row and data.draw(st.booleans()):
            row[0] = data.draw(st.sampled_from(["H", "D"]))
    header = [f"DSFX-V{version}", *HEADER_COLUMNS[version][1:]]
    _check_parsed(f.parse_orders(_csv(header, body)), WarehouseOrder)
    _check_parsed(f.parse_shipments(_csv(list(SHIPMENT_COLUMNS), body)), WarehouseShipment)
    _check_parsed(f.parse_inventory(_csv(list(INVENTORY_COLUMNS), body)), StockLevel)
    assert len(DETAIL_COLUMNS) == 6


@st.composite
def warehouse_orders(draw) -> WarehouseOrder:
    n = draw(st.integers(1, 4))
    lines = [
        WarehouseLine(i + 1, draw(ident), draw(st.integers(1, 10**6)), draw(free_text)) for i in range(n)
    ]
    return WarehouseOrder(
        order_number=draw(ident),
        placed_at=draw(moment),
        ship_to=Address(
            name=draw(free_text),
            company=draw(free_text),
            street1=draw(free_text),
            street2=draw(free_text),
            city=draw(free_text),
            state=draw(code),
            postal_code=draw(code),
            country=draw(code),
            phone=draw(free_text),
        ),
        carrier=draw(code),
        service=draw(code),
        lines=lines,
        email=draw(code),
        notes=draw(free_text),
        facility=draw(code),
    )


@SETTINGS
@given(st.sampled_from(["1", "2", "3"]), st.lists(warehouse_orders(), min_size=1, max_size=4))
def test_orders_round_trip(version, orders):
    f = DsfxFormat({"dsfx_version": version})
    parsed = DsfxFormat({}).parse_orders(f.render_orders(orders))
    assert parsed.errors == []
    for sent, got in zip(orders, parsed.items, strict=True):
        assert got.order_number == sent.order_number and got.placed_at == sent.placed_at
        assert got.ship_to == sent.ship_to and got.lines == sent.lines
        assert (got.carrier, got.service) == (sent.carrier, sent.service)
        assert (got.email, got.notes) == ((sent.email, sent.notes) if version != "1" else ("", ""))
        assert got.facility == (sent.facility if version == "3" else "")


@st.composite
def warehouse_shipments(draw) -> list[WarehouseShipment]:
    ids = draw(st.lists(ident, min_size=1, max_size=4, unique=True))
    shipments = []
    for sid in ids:
        skus = draw(st.lists(ident, min_size=1, max_size=4, unique=True))
        tracking = draw(st.lists(st.from_regex(r"[A-Z0-9]{4,22}", fullmatch=True), max_size=3, unique=True))
        shipments.append(
            WarehouseShipment(
                shipment_id=sid,
                order_number=draw(ident),
                shipped_at=draw(moment),
                carrier=draw(code),
                service=draw(code),
                packages=[Package(t, draw(measure), draw(measure), draw(measure), draw(measure)) for t in tracking],
                lines=[ShipmentLine(s, draw(st.integers(1, 10**6))) for s in skus],
            )
        )
    return shipments


@SETTINGS
@given(warehouse_shipments())
def test_shipments_round_trip(shipments):
    f = DsfxFormat({})
    parsed = f.parse_shipments(f.render_shipments(shipments))
    assert parsed.errors == []
    assert parsed.items == shipments


@SETTINGS
@given(
    st.lists(
        st.builds(
            StockLevel,
            sku=ident,
            on_hand=st.integers(0, 10**9),
            available=st.integers(-(10**9), 10**9),
            facility=code,
            as_of=st.none() | moment,
        ),
        max_size=20,
        unique_by=lambda s: (s.sku, s.facility),
    )
)
def test_inventory_round_trip(levels):
    f = DsfxFormat({})
    assert f.parse_inventory(f.render_inventory(levels)) == Parsed(levels, [])


def _mutate(data: bytes, draw) -> bytes:
    import csv
    import io

    table = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    r = draw(st.integers(1, len(table) - 1))  # a data row, not the column-header row
    if table[r]:
        c = draw(st.integers(0, len(table[r]) - 1))
        table[r][c] = draw(cell)
    if draw(st.booleans()):
        table[r] = table[r][: draw(st.integers(0, len(table[r])))]
    return _csv(table[0], table[1:])


@SETTINGS
@given(st.lists(warehouse_orders(), min_size=1, max_size=3), warehouse_shipments(), st.data())
def test_one_damaged_cell_costs_at_most_one_record(orders, shipments, data):
    f = DsfxFormat({"dsfx_version": "3"})
    damaged = _mutate(f.render_orders(orders), data.draw)
    parsed = f.parse_orders(damaged)
    _check_parsed(parsed, WarehouseOrder)
    lines = len(re.findall(r"\r\n|\r|\n", damaged.decode("utf-8", "surrogatepass"))) + 1
    assert all(e.line is not None and 2 <= e.line <= lines for e in parsed.errors)
    # every order but the damaged one reads back unchanged (a damaged record type or
    # order number can merge or split orders, which costs the neighbour too)
    assert sum(1 for o in parsed.items if o in orders) >= len(orders) - 2

    damaged = _mutate(f.render_shipments(shipments), data.draw)
    parsed_s = f.parse_shipments(damaged)
    _check_parsed(parsed_s, WarehouseShipment)
    assert sum(1 for s in parsed_s.items if s in shipments) >= len(shipments) - 2
