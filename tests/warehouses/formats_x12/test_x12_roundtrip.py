"""X12: render -> parse round trips over generated records, and control numbers."""
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
from dockline.warehouses.formats.x12 import MemoryControlNumbers, X12Format
from dockline.warehouses.formats.x12.text import BASIC

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that may be delimiters in any test below are kept out of the data.
DELIMITER_POOL = "*~>|^:!\\+`"
TEXT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-#/&'()@éßñ漢"
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-_./#"

text = st.text(alphabet=TEXT_CHARS, max_size=40).map(str.strip)
ident = st.text(alphabet=ID_CHARS, min_size=1, max_size=22).map(str.strip).filter(bool)
maybe_ident = st.one_of(st.just(""), ident)
moment = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC)
)
measure = st.one_of(st.none(), st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False))


# What a 940 carries unchanged (docs/formats/x12.md, "940 rules"): text in the agreed character set
# with single spaces, identifiers and codes within their element lengths.
BASIC_WORD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-/&'()"
EXTENDED_WORD = BASIC_WORD + "abcdefghijklmnopqrstuvwxyz#@_"


def words(alphabet: str, most: int, *, word: int = 10, shortest: int = 1):
    return st.lists(st.text(alphabet=alphabet, min_size=shortest, max_size=word), max_size=most).map(" ".join)


@st.composite
def addresses(draw, alphabet):
    street1 = draw(words(alphabet, 5))
    return Address(
        name=draw(words(alphabet, 5).filter(bool)),
        company=draw(words(alphabet, 5)),
        street1=street1,
        street2=draw(words(alphabet, 5)) if street1 else "",
        city=draw(words(alphabet, 3, word=8, shortest=2)),
        state=draw(st.sampled_from(["", "IL", "CA", "NY", "ON"])),
        postal_code=draw(st.one_of(st.just(""), st.text(alphabet="0123456789-ABC", min_size=3, max_size=10))),
        country=draw(st.sampled_from(["", "US", "CA", "DE"])),
        phone=draw(st.text(alphabet="0123456789-()", max_size=16)),
        email="",  # the 940 carries one e-mail: the order's (see docs/formats/x12.md)
    )


@st.composite
def orders(draw, charset="extended"):
    alphabet = EXTENDED_WORD if charset == "extended" else BASIC_WORD
    idents = st.text(alphabet=ID_CHARS if charset == "extended" else ID_CHARS.upper().replace("#", "").replace("_", ""), min_size=1,
                     max_size=22).map(str.strip).filter(bool)
    numbers = draw(st.lists(st.integers(1, 999_999), min_size=1, max_size=6, unique=True))
    lines = [WarehouseLine(n, draw(idents), draw(st.integers(1, 10**6)), draw(words(alphabet, 9))) for n in numbers]
    email = st.emails().filter(lambda e: len(e) <= 80 and not any(c in e for c in DELIMITER_POOL))
    return WarehouseOrder(
        order_number=draw(idents),
        placed_at=draw(moment),
        ship_to=draw(addresses(alphabet)),
        carrier=draw(st.one_of(st.just(""), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=4))),
        service=draw(words(alphabet, 3)),
        lines=lines,
        email=draw(st.one_of(st.just(""), email)) if charset == "extended" else "",
        notes=draw(words(alphabet, 30)),
        facility=draw(st.one_of(st.just(""), idents.filter(lambda f: len(f) >= 2))),
    )


@st.composite
def packages(draw):
    p = Package(
        tracking_number=draw(maybe_ident),
        weight=draw(measure),
        length=draw(measure),
        width=draw(measure),
        height=draw(measure),
        box_id=draw(maybe_ident),
    )
    if not (p.tracking_number or p.box_id or any(v is not None for v in (p.weight, p.length, p.width, p.height))):
        p = Package(tracking_number=draw(ident))
    return p


@st.composite
def shipments(draw):
    skus = draw(st.lists(ident, min_size=1, max_size=5, unique=True))
    return WarehouseShipment(
        shipment_id=draw(ident),
        order_number=draw(ident),
        shipped_at=draw(moment),
        carrier=draw(maybe_ident),
        service=draw(text),
        packages=draw(st.lists(packages(), max_size=4)),
        lines=[ShipmentLine(s, draw(st.integers(1, 10**6))) for s in skus],
    )


@st.composite
def stock_levels(draw):
    keys = draw(st.lists(st.tuples(ident, st.sampled_from(["", "DC1", "DC-2"])), min_size=1, max_size=12,
                         unique=True))
    return [
        StockLevel(sku, draw(st.integers(0, 10**9)), draw(st.integers(-(10**6), 10**9)), facility, draw(moment))
        for sku, facility in keys
    ]


@st.composite
def delimiters(draw):
    elem, sub, term = draw(st.permutations(list("*|^~!+")).map(lambda p: p[:3]))
    if draw(st.booleans()):
        term = "\n"
    return {"element_separator": elem, "subelement_separator": sub, "segment_terminator": term,
            "newline": draw(st.booleans())}


@SETTINGS
@given(st.lists(orders(), min_size=1, max_size=3), delimiters())
def test_orders_round_trip(valid_x12, batch, delims):
    out = X12Format({"sender_id": "MERCHANT", "receiver_id": "3PL", "character_set": "extended", **delims})
    data = out.render_orders(batch)
    valid_x12(data, "940")
    parsed = X12Format({}).parse_orders(data)  # delimiters come from the ISA
    assert parsed.errors == []
    assert parsed.items == batch


@SETTINGS
@given(st.lists(orders("basic"), min_size=1, max_size=2), delimiters())
def test_orders_in_the_basic_character_set_round_trip(valid_x12, batch, delims):
    data = X12Format({"sender_id": "MERCHANT", "receiver_id": "3PL", **delims}).render_orders(batch)
    valid_x12(data, "940")
    assert set(data.decode()) <= BASIC | set(delims.values()) - {True, False} | {"\n"}
    assert X12Format({}).parse_orders(data).items == batch


@SETTINGS
@given(st.lists(shipments(), min_size=1, max_size=3, unique_by=lambda s: s.shipment_id), delimiters())
def test_shipments_round_trip(batch, delims):
    fmt = X12Format({"sender_id": "MERCHANT", "receiver_id": "3PL", **delims})
    parsed = X12Format({}).parse_shipments(fmt.render_shipments(batch))
    assert parsed.errors == []
    assert parsed.items == batch
    assert [s.tracking_numbers for s in parsed.items] == [s.tracking_numbers for s in batch]


@SETTINGS
@given(stock_levels(), delimiters())
def test_inventory_round_trip(levels, delims):
    fmt = X12Format({**delims})
    parsed = fmt.parse_inventory(fmt.render_inventory(levels))
    assert parsed.errors == []
    assert parsed.items == levels


def test_inventory_without_as_of_takes_the_report_time():
    fmt = X12Format({})
    fmt.clock = lambda: datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
    parsed = fmt.parse_inventory(fmt.render_inventory([StockLevel("A", 5, 3)]))
    assert parsed.items == [StockLevel("A", 5, 3, "", datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC))]


def test_x12_is_a_snapshot_format_with_the_agreed_file_names():
    fmt = X12Format({})
    at = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert X12Format.inventory_is_snapshot is True
    assert fmt.order_filename("10/01 A", at) == "940_10-01-A_240506070809.edi"
    assert X12Format.shipment_pattern.match(fmt.shipment_filename("SHP 1", at))
    assert X12Format.inventory_pattern.match(fmt.inventory_filename(at))
    assert X12Format.ack_pattern.match(fmt.ack_filename("000000012", at))
    assert not X12Format.shipment_pattern.match("945_x.edi.part")
    assert not X12Format.shipment_pattern.match(".945_x.edi.part")


def _controls(data: bytes):
    fmt = X12Format({})
    env = fmt.envelope(data)
    assert env.errors == []
    (ic,) = env.items
    return ic.control, [g.control for g in ic.groups], [t.control for g in ic.groups for t in g.sets]


ORDER = WarehouseOrder("1001", datetime(2024, 1, 1, tzinfo=UTC), Address(name="A"), "UPSN", "GND",
                       [WarehouseLine(1, "SKU", 1)])


def test_control_numbers_never_reused_across_files():
    source = MemoryControlNumbers()
    isa, gs, st_ = set(), set(), set()
    for i in range(40):
        fmt = X12Format({}, control_numbers=source)  # a new format object per file, one shared source
        data = fmt.render_orders([ORDER, ORDER]) if i % 2 else fmt.render_inventory([StockLevel("A", 1, 1)])
        ic, groups, sets = _controls(data)
        assert ic not in isa and not set(groups) & gs and not set(sets) & st_
        isa.add(ic)
        gs.update(groups)
        st_.update(sets)
        assert fmt.last_envelope.interchange == int(ic)
        assert fmt.last_envelope.group == int(groups[0])
        assert list(fmt.last_envelope.sets) == sets
    assert len(isa) == 40


def test_control_numbers_come_from_the_supplied_source():
    calls = []

    class Source:
        def next(self, kind):
            calls.append(kind)
            return {"interchange": 123456789, "group": 77, "set": 5000 + len(calls)}[kind]

    data = X12Format({}, control_numbers=Source()).render_orders([ORDER])
    assert calls == ["interchange", "group", "set"]
    assert _controls(data) == ("123456789", ["77"], ["5003"])
    assert b"IEA*1*123456789~" in data


def test_isa_is_fixed_width():
    data = X12Format({"sender_id": "ME", "receiver_id": "YOU", "usage": "T"}).render_orders([ORDER]).decode()
    isa = data[:106]
    assert isa.startswith("ISA*00*          *00*          *ZZ*ME             *ZZ*YOU            *")
    assert isa[3] == "*" and isa[104] == ">" and isa[105] == "~"
    assert isa[102] == "T"


def test_packages_with_several_tracking_numbers_and_totals():
    s = WarehouseShipment(
        "S-9", "1001", datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC), "FDEG", "GROUND",
        [Package("T1", Decimal("1.5")), Package("T2", Decimal("2.25"), Decimal(10), Decimal(8), Decimal(6), "BOX-2")],
        [ShipmentLine("A", 2), ShipmentLine("B", 3)],
    )
    data = X12Format({}).render_shipments([s]).decode()
    assert "MAN*CP*T1~" in data and "MAN*CP*T2**ZZ*BOX-2~" in data
    assert "PAL*******10*8*6*IN*2.25*LB~" in data
    assert "W03*5*3.75*LB***2*CT~" in data
    assert X12Format({}).parse_shipments(data.encode()).items == [s]
