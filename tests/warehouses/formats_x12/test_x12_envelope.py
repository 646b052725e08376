"""X12: delimiters read from the ISA, envelope violations named, hand-written partner files, fuzzing."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
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
from dockline.warehouses.formats.x12 import X12Format

SHIPMENT = WarehouseShipment(
    "SHP-1", "1001", datetime(2024, 5, 2, 8, 0, tzinfo=UTC), "UPSN", "GROUND",
    [Package("1Z1", Decimal("2.5"), Decimal(10), Decimal(8), Decimal(4), "BOX1"), Package("1Z2")],
    [ShipmentLine("SKU-1", 2), ShipmentLine("SKU-2", 1)],
)
EXT = {"character_set": "extended"}  # lower case and "@" as sent; the basic set is tested in test_x12_940_rules
ORDER = WarehouseOrder(
    "1001", datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC),
    Address("Jane Doe", "Acme", "1 Main St", "Apt 2", "Springfield", "IL", "62701", "US", "555-1234"),
    "UPSN", "GROUND", [WarehouseLine(1, "SKU-1", 2, "Blue widget"), WarehouseLine(2, "SKU-2", 1)],
    email="jane@example.com", notes="Leave at the door", facility="DC1",
)


def _segments(data: bytes) -> list[str]:
    return [s.strip() for s in data.decode().split("~") if s.strip()]


def _join(segments: list[str]) -> bytes:
    return ("~\n".join(segments) + "~\n").encode()


def _edit(data: bytes, old_start: str, new: str | None) -> bytes:
    """Replace (or with None, drop) the first segment starting with `old_start`."""
    segs = _segments(data)
    i = next(i for i, s in enumerate(segs) if s.startswith(old_start))
    if new is None:
        del segs[i]
    else:
        segs[i] = new
    return _join(segs)


def _two_shipments() -> bytes:
    other = WarehouseShipment("SHP-2", "1002", SHIPMENT.shipped_at, "USPS", "", [], [ShipmentLine("X", 1)])
    return X12Format({}).render_shipments([SHIPMENT, other])


# -- delimiters -----------------------------------------------------------------------------------


def test_star_tilde_with_crlf_after_terminators():
    data = X12Format({}).render_shipments([SHIPMENT]).replace(b"~\n", b"~\r\n")
    assert X12Format({}).parse_shipments(data).items == [SHIPMENT]


def test_pipe_elements_and_newline_terminators():
    fmt = X12Format({"element_separator": "|", "subelement_separator": "^", "segment_terminator": "\n"})
    data = fmt.render_shipments([SHIPMENT])
    text = data.decode()
    assert text.startswith("ISA|00|") and "\nGS|SW|" in text and "~" not in text
    assert text[103] == "|" and text[104] == "^" and text[105] == "\n"
    assert X12Format({}).parse_shipments(data).items == [SHIPMENT]
    assert X12Format({}).parse_shipments(data.replace(b"\n", b"\r\n")).items == [SHIPMENT]


def test_no_newlines_at_all(valid_x12):
    data = X12Format({"newline": False, **EXT}).render_orders([ORDER])
    valid_x12(data, "940")
    assert b"\n" not in data
    assert X12Format({}).parse_orders(data).items == [ORDER]


PARTNER_945 = (
    "ISA^00^          ^00^          ^01^123456789      ^ZZ^MERCHANT       ^240502^0815^U^00401^000004711^0^P^:|\r\n"
    "GS^SW^WMSCO^MERCHANT^20240502^0815^4711^X^004010|\r\n"
    "ST^945^0001|\r\n"
    "W06^F^1001^20240502^SHP-77^^PO-1001|\r\n"
    "N1^SF^Big Warehouse^9^123456789|\r\n"
    "N1^ST^Jane Doe|\r\n"
    "N3^1 Main St|\r\n"
    "N4^Springfield^IL^62701^US|\r\n"
    "G62^11^20240502^8^1030^ET|\r\n"
    "W27^U^FDEG^FEDEX GROUND|\r\n"
    "LX^1|\r\n"
    "MAN^GM^00012345678901234567|\r\n"
    "MAN^CP^794612345678|\r\n"
    "MEA^PD^G^1.2^KG|\r\n"
    "MEA^PD^LN^30^CM|\r\n"
    "W12^CC^3^2^1^EA^^VN^SKU-1^^^^^^^^UP^012345678905|\r\n"
    "MEA^WT^G^0.4^LB|\r\n"
    "LX^2|\r\n"
    "MAN^CP^794612345679|\r\n"
    "W12^CC^1^1^0^EA^^BP^SKU-2|\r\n"
    "W12^CC^2^0^2^EA^^VN^SKU-3|\r\n"
    "W03^3^3.1^LB|\r\n"
    "SE^21^0001|\r\n"
    "GE^1^4711|\r\n"
    "IEA^1^000004711|\r\n"
)


def test_a_partner_945_with_other_delimiters_units_and_time_zone():
    parsed = X12Format({"sender_id": "MERCHANT"}).parse_shipments(PARTNER_945.encode("ascii"))
    assert parsed.errors == []
    (s,) = parsed.items
    assert s.shipment_id == "SHP-77" and s.order_number == "1001"
    assert s.shipped_at == datetime(2024, 5, 2, 14, 30, tzinfo=UTC)  # 10:30 New York summer time
    assert (s.carrier, s.service) == ("FDEG", "FEDEX GROUND")
    assert s.tracking_numbers == ["794612345678", "794612345679"]
    assert s.packages[0].box_id == "00012345678901234567"
    assert s.packages[0].weight == Decimal("2.646") and s.packages[0].length == Decimal("11.81")
    assert s.lines == [ShipmentLine("SKU-1", 2), ShipmentLine("SKU-2", 1)]  # SKU-3 shipped nothing


def test_latin1_bytes_are_read():
    data = X12Format(EXT).render_orders([ORDER]).replace(b"Jane Doe", "Jos\u00e9 M\u00fcller".encode("latin-1"))
    (order,) = X12Format({}).parse_orders(data).items
    assert order.ship_to.name == "Jos\u00e9 M\u00fcller"


# -- envelope violations ------------------------------------------------------------------------


def _only_error(parsed: Parsed) -> str:
    assert parsed.items == [], parsed.items
    assert len(parsed.errors) >= 1
    return " | ".join(str(e) for e in parsed.errors)


def test_iea_control_number_mismatch():
    data = _edit(X12Format({}).render_shipments([SHIPMENT]), "IEA", "IEA*1*000000999")
    text = _only_error(X12Format({}).parse_shipments(data))
    assert "IEA02" in text and "000000999" in text and "ISA13" in text


def test_iea_group_count_mismatch():
    data = _edit(X12Format({}).render_shipments([SHIPMENT]), "IEA", "IEA*2*000000001")
    assert "IEA01 says '2' functional groups" in _only_error(X12Format({}).parse_shipments(data))


def test_missing_iea_means_cut_short():
    data = _edit(X12Format({}).render_shipments([SHIPMENT]), "IEA", None)
    assert "no IEA trailer" in _only_error(X12Format({}).parse_shipments(data))


def test_ge_control_number_mismatch():
    data = _edit(X12Format({}).render_shipments([SHIPMENT]), "GE", "GE*1*42")
    text = _only_error(X12Format({}).parse_shipments(data))
    assert "GE02" in text and "GS06" in text and "group not read" in text


def test_ge_set_count_mismatch():
    data = _edit(_two_shipments(), "GE", "GE*1*1")
    parsed = X12Format({}).parse_shipments(data)
    assert "GE01 says '1' transaction sets but group 1 has 2" in _only_error(parsed)


def test_se_segment_count_mismatch_leaves_only_that_set_out():
    data = _two_shipments()
    segs = _segments(data)
    i = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    count = int(segs[i].split("*")[1])
    segs[i] = f"SE*{count + 1}*{segs[i].split('*')[2]}"
    parsed = X12Format({}).parse_shipments(_join(segs))
    assert [s.shipment_id for s in parsed.items] == ["SHP-2"]
    (err,) = parsed.errors
    assert err.line == i + 1
    assert f"SE01 says '{count + 1}' segments" in err.reason and "ST*945*0001" in err.reason


def test_se_control_number_mismatch():
    data = _edit(X12Format({}).render_shipments([SHIPMENT]), "SE*", "SE*14*9999")
    text = _only_error(X12Format({}).parse_shipments(data))
    assert "SE02 control number '9999' does not match ST02 '0001'" in text


def test_missing_se():
    data = _edit(X12Format({}).render_shipments([SHIPMENT]), "SE*", None)
    assert "has no SE trailer" in _only_error(X12Format({}).parse_shipments(data))


def test_not_x12_at_all():
    parsed = X12Format({}).parse_shipments(b"order,sku\n1,2\n")
    assert "does not start with an ISA" in _only_error(parsed)
    assert "empty" in _only_error(X12Format({}).parse_inventory(b""))


def test_truncated_isa():
    assert "cut short" in _only_error(X12Format({}).parse_inventory(b"ISA*00*   *00"))


def test_wrong_transaction_set_is_named():
    data = X12Format({}).render_orders([ORDER])
    assert "ST*940*0001 is a Warehouse Shipping Order set, not a 945" in _only_error(
        X12Format({}).parse_shipments(data))


def test_content_error_names_segment_and_element():
    data = X12Format({}).render_shipments([SHIPMENT]).replace(b"W12*CC**2**EA", b"W12*CC**two**EA")
    (err,) = X12Format({}).parse_shipments(data).errors
    assert "W1203 number of units shipped 'two' is not a whole number" in err.reason
    assert _segments(data)[err.line - 1].startswith("W12*CC**two")


def test_w03_total_must_match_lines():
    data = X12Format({}).render_shipments([SHIPMENT]).replace(b"W03*3*", b"W03*4*")
    assert "W0301 says 4 units shipped but the W12 lines add up to 3" in _only_error(
        X12Format({}).parse_shipments(data))


def test_bad_inventory_line_is_left_out_alone():
    levels = [StockLevel("A", 5, 4, "", datetime(2024, 1, 1, tzinfo=UTC)),
              StockLevel("B", 6, 5, "", datetime(2024, 1, 1, tzinfo=UTC))]
    data = X12Format({}).render_inventory(levels).replace(b"QTY*33*4*EA", b"QTY*33*4.5*EA")
    parsed = X12Format({}).parse_inventory(data)
    assert parsed.items == levels[1:]
    (err,) = parsed.errors
    assert "QTY02 quantity available '4.5' is not a whole number" in err.reason and "SKU 'A' not read" in err.reason


def test_inventory_quantity_qualifiers():
    data = X12Format({}).render_inventory([StockLevel("A", 7, 3, "", datetime(2024, 1, 1, tzinfo=UTC))]).decode()
    assert "QTY*17*7*EA~" in data and "QTY*33*3*EA~" in data
    only_on_hand = data.replace("QTY*33*3*EA~\n", "").replace("SE*8*", "SE*7*")
    parsed = X12Format({}).parse_inventory(only_on_hand.encode())
    assert parsed.items == [] and "no QTY*33" in parsed.errors[0].reason


def test_strict_ids_refuses_files_for_someone_else():
    data = X12Format({"sender_id": "OTHER"}).render_shipments([SHIPMENT])  # addressed to OTHER
    assert X12Format({"sender_id": "ME"}).parse_shipments(data).items == [SHIPMENT]
    strict = X12Format({"sender_id": "ME", "strict_ids": True}).parse_shipments(data)
    assert "addressed to 'OTHER'" in _only_error(strict)


def test_render_refuses_identifiers_with_delimiters():
    bad = WarehouseOrder("10*01", ORDER.placed_at, ORDER.ship_to, "", "", ORDER.lines)
    with pytest.raises(ValueError, match="delimiter"):
        X12Format({}).render_orders([bad])
    with pytest.raises(ValueError):
        X12Format({"sender_id": "X" * 16})


def test_free_text_delimiters_become_spaces():
    order = WarehouseOrder("1", ORDER.placed_at, Address(name="A*B~C>D"), "", "", ORDER.lines, notes="x~y")
    (back,) = X12Format({}).parse_orders(X12Format(EXT).render_orders([order])).items
    assert back.ship_to.name == "A B C D" and back.notes == "x y"


# -- fuzzing: parse_* never raises ----------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSERS = ("parse_orders", "parse_shipments", "parse_inventory", "parse_997")


def _check_never_raises(data: bytes) -> None:
    fmt = X12Format({})
    for name in PARSERS:
        result = getattr(fmt, name)(data)
        assert isinstance(result, Parsed)
        assert all("internal error" not in e.reason for e in result.errors), result.errors
    env = fmt.envelope(data)
    assert isinstance(env, Parsed)
    try:
        ack = fmt.render_997(data)
    except ValueError:
        pass
    else:
        assert isinstance(ack, bytes)


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data):
    _check_never_raises(data)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_after_a_valid_isa(data):
    _check_never_raises(X12Format({}).render_shipments([SHIPMENT])[:106] + data)


SAMPLES = [
    X12Format({}).render_shipments([SHIPMENT]),
    X12Format({}).render_orders([ORDER]),
    X12Format({}).render_inventory([StockLevel("A", 5, 4, "DC1", datetime(2024, 1, 1, tzinfo=UTC))]),
    X12Format({}).render_997(X12Format({}).render_shipments([SHIPMENT])),
    PARTNER_945.encode(),
]


@FUZZ
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 8), st.binary(max_size=6)), min_size=1, max_size=6),
)
def test_mutated_valid_files(sample, edits):
    data = bytearray(sample)
    for at, drop, insert in edits:
        at %= len(data) + 1
        data[at : at + drop] = insert
    _check_never_raises(bytes(data))


@FUZZ
@given(st.sampled_from(SAMPLES), st.data())
def test_mutated_elements(valid_x12, sample, draw):
    """Replace whole elements with odd values: dates, numbers, empty, delimiters; the 997 answering
    the damaged file still conforms."""
    text = sample.decode()
    elem = text[3]
    parts = text.split(elem)
    odd = st.sampled_from(["", "-1", "0", "1e5", "99999999999999999999", "20241340", "2599", "ABC", "..", "\x00",
                           ">", "A>B", "NaN", "-", "007", "33", "17", "CP", "EA", "KG", "ZZ", "1.5"])
    for _ in range(draw.draw(st.integers(1, 5))):
        i = draw.draw(st.integers(1, len(parts) - 1))
        parts[i] = draw.draw(odd) + parts[i][parts[i].find("~"):] if "~" in parts[i] else draw.draw(odd)
    data = elem.join(parts).encode("utf-8", "replace")
    _check_never_raises(data)
    try:
        ack = X12Format({}).render_997(data)
    except ValueError:
        return
    valid_x12(ack, "997")
