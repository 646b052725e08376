"""945s and 846s as trading partners really send them: cases, N9 tracking, MAN after W12, no W06 date,
shifted W12s, freight summaries, 005010 groups, LIN without QTY — each read exactly or refused by name."""
from datetime import UTC, datetime

from dockline.core.types import ShipmentLine
from dockline.warehouses.formats.x12 import X12Format

US = {"sender_id": "MERCHANT", "receiver_id": "3PL"}


def interchange(set_id: str, body: list[str], *, version: str = "004010", functional: str = "SW") -> bytes:
    """A hand-written interchange from the 3PL: ISA/GS/ST around `body`, counts right."""
    isa = ("ISA*00*          *00*          *ZZ*3PL            *ZZ*MERCHANT       *240502*0815*U*"
           f"{version[:5]}*000000042*0*P*>")
    segments = [isa, f"GS*{functional}*3PL*MERCHANT*20240502*0815*42*X*{version}", f"ST*{set_id}*0001", *body,
                f"SE*{len(body) + 2}*0001", "GE*1*42", "IEA*1*000000042"]
    return ("~\n".join(segments) + "~\n").encode()


def shipment_945(*lines: str, w06: str = "W06*F*1001*20240502*SHP-9") -> bytes:
    return interchange("945", [w06, "N1*WH*DC1", "W27*U*UPSN*GROUND", *lines])


def read(data: bytes, **settings):
    return X12Format({**US, **settings}).parse_shipments(data)


def test_lines_in_cases_become_eaches_with_the_pack_from_a_po4():
    parsed = read(shipment_945("LX*1", "MAN*CP*1Z999", "W12*CC*2*2**CA**VN*MUG-1", "PO4*12"))
    assert parsed.errors == []
    assert parsed.items[0].lines == [ShipmentLine("MUG-1", 24)]


def test_lines_in_cases_use_the_pack_sizes_setting():
    parsed = read(shipment_945("LX*1", "MAN*CP*1Z999", "W12*CC*3*3**CS**VN*MUG-1"), pack_sizes={"MUG-1": 6})
    assert parsed.errors == [] and parsed.items[0].lines == [ShipmentLine("MUG-1", 18)]


def test_cases_without_a_known_pack_size_are_refused_naming_the_element_and_the_setting():
    parsed = read(shipment_945("LX*1", "MAN*CP*1Z999", "W12*CC*3*3**CA**VN*MUG-1"))
    assert parsed.items == []
    (err,) = parsed.errors
    assert "W1205 unit CA for SKU MUG-1: pack size unknown" in err.reason and "pack_sizes" in err.reason


def test_tracking_numbers_in_n9_and_in_man_after_the_w12_are_kept():
    parsed = read(shipment_945(
        "N9*BM*BOL-7731",  # header: a shipment-level reference
        "LX*1", "W12*CC*1*1**EA**VN*SKU-1", "MAN*CP*1Z111",  # MAN after the W12 of its loop
        "LX*2", "N9*2I*1Z222", "W12*CC*1*1**EA**VN*SKU-2",
        "LX*3", "W12*CC*1*1**EA**VN*SKU-3", "N9*CN*PRO-555",  # N9 inside the W12 loop
    ))
    assert parsed.errors == []
    assert parsed.items[0].tracking_numbers == ["1Z111", "1Z222", "PRO-555", "BOL-7731"]


def test_the_ship_date_falls_back_when_w0603_is_absent():
    from_g62 = read(shipment_945("G62*10*20240430*8*1200*UT", "LX*1", "MAN*CP*1Z9", "W12*CC*1*1**EA**VN*A",
                                 w06="W06*F*1001**SHP-9"))
    assert from_g62.errors == [] and from_g62.items[0].shipped_at == datetime(2024, 4, 30, 12, 0, tzinfo=UTC)
    from_file = read(shipment_945("LX*1", "MAN*CP*1Z9", "W12*CC*1*1**EA**VN*A", w06="W06*F*1001**SHP-9"))
    assert from_file.errors == [] and from_file.items[0].shipped_at == datetime(2024, 5, 2, 8, 15, tzinfo=UTC)


def test_a_shifted_w12_is_refused_and_its_qualifier_never_becomes_a_sku():
    # W1206 dropped: the qualifier slid into W1206 and the SKU into W1207
    parsed = read(shipment_945("LX*1", "MAN*CP*1Z9", "W12*CC*1*1**EA*UK*SKU-1"))
    assert parsed.items == []
    assert "W1206 UPC case code 'UK' is not 12 digits" in parsed.errors[0].reason
    parsed = read(shipment_945("LX*1", "MAN*CP*1Z9", "W12*CC*1*1**EA**SKU-1*UK"))
    assert parsed.items == []
    assert "W1207 product/service ID qualifier 'SKU-1' is not a known qualifier" in parsed.errors[0].reason


def test_a_freight_summary_without_w12_is_reported_naming_the_shipment():
    parsed = read(shipment_945("LX*1", "MAN*CP*1Z9", "W03*4*12.5*LB"))
    assert parsed.items == []
    (err,) = parsed.errors
    assert "shipment SHP-9 of order 1001 carried no line detail (no W12 segment" in err.reason
    ack = X12Format(US).render_997(shipment_945("LX*1", "MAN*CP*1Z9"))
    assert b"AK3*W12*" in ack and b"AK5*R" in ack


def test_a_005010_group_is_refused_clearly_and_acknowledged_in_its_version(valid_x12):
    data = interchange("945", ["W06*F*1001*20240502*SHP-9", "N1*WH*DC1", "LX*1", "W12*CC*1*1**EA**VN*A"],
                       version="005010")
    parsed = read(data)
    assert parsed.items == []
    assert "GS08 version '005010' is not supported" in parsed.errors[0].reason
    ack = X12Format(US).render_997(data).decode()
    assert "*00501*" in ack.splitlines()[0]  # ISA12
    assert "*X*005010~" in ack.splitlines()[1] and "AK1*SW*42*005010~" in ack and "AK9*R*1*1*0*2~" in ack


def test_a_997_for_a_004010_group_claims_004010(valid_x12):
    ack = X12Format(US).render_997(shipment_945("LX*1", "MAN*CP*1Z9", "W12*CC*1*1**EA**VN*A")).decode()
    valid_x12(ack.encode(), "997")
    assert "*X*004010~" in ack and "AK1*SW*42~" in ack


def test_a_997_for_a_lin_without_qty_names_the_missing_qty(valid_x12):
    data = interchange("846", ["BIA*00*DD*INV1*20240502*0815", "LIN**VN*A", "QTY*33*5*EA", "LIN**VN*B",
                               "DTM*007*20240502", "LIN**VN*C", "QTY*33*1*EA", "CTT*3"], functional="IB")
    parsed = X12Format(US).parse_inventory(data)
    assert [level.sku for level in parsed.items] == ["A", "C"]
    assert "LIN for SKU 'B' has no QTY*33" in parsed.errors[0].reason
    ack = X12Format(US).render_997(data)
    valid_x12(ack, "997")
    assert b"AK3*QTY*6**3~" in ack and b"AK5*E~" in ack  # QTY missing at position 6, after the LIN's DTM


def test_a_warehouse_997_in_005010_still_acknowledges_our_940():
    dockline = X12Format(US)
    ack = interchange("997", ["AK1*OW*7*004010", "AK2*940*0007*004010", "AK5*A", "AK9*A*1*1*1"],
                      version="005010", functional="FA")
    parsed = dockline.parse_997(ack)
    assert parsed.errors == []
    (fa,) = parsed.items
    assert (fa.group_control, fa.accepted, [s.control for s in fa.sets]) == (7, True, ["0007"])
