"""The 940 is written to X12 004010's element rules: what cannot be sent stops the order with the element
named, what the standard lets us shorten is shortened, text is in the agreed character set — and every
940 and 997 here passes the independent validator."""
from datetime import UTC, datetime

import pytest

from dockline.core.types import Address, WarehouseLine, WarehouseOrder
from dockline.warehouses.formats.base import RenderError
from dockline.warehouses.formats.x12 import X12Format

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def order(**changes) -> WarehouseOrder:
    address = {"name": "Zoë Müller", "company": "Acme", "street1": "1 Main St", "street2": "Apt 2",
               "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US", "phone": "555-1234",
               **changes.pop("ship_to", {})}
    values = {"order_number": "1001", "placed_at": WHEN, "ship_to": Address(**address), "carrier": "UPSN",
              "service": "GROUND", "lines": [WarehouseLine(1, "SKU-1", 2, "Blue widget")],
              "email": "zoe@example.com", "notes": "Leave at the door", **changes}
    return WarehouseOrder(**values)


def segments(data: bytes) -> list[str]:
    return [s.strip() for s in data.decode().split("~") if s.strip()]


def render(o: WarehouseOrder, valid_x12, **settings) -> list[str]:
    data = X12Format(settings).render_orders([o])
    valid_x12(data, "940")
    return segments(data)


def test_text_goes_in_the_basic_character_set_unless_extended_is_agreed(valid_x12):
    basic = render(order(), valid_x12)
    assert "N1*ST*ZOE MULLER" in basic and "G69*BLUE WIDGET" in basic
    assert not any(s.startswith("PER") and "EM" in s.split("*") for s in basic)  # "@" is not in the basic set
    extended = render(order(), valid_x12, character_set="extended")
    assert "N1*ST*Zoe Muller" in extended and "PER*IC*Zoe Muller*TE*555-1234*EM*zoe@example.com" in extended


def test_an_identifier_outside_the_character_set_stops_the_order_with_the_element_named():
    with pytest.raises(RenderError) as err:
        X12Format({}).render_orders([order(lines=[WarehouseLine(1, "sku_1", 1)])])
    assert err.value.field == "W0105 SKU of order 1001 line 1" and "character_set: extended" in err.value.reason


@pytest.mark.parametrize("changes, element", [
    ({"order_number": "X" * 23}, "W0502 depositor order number"),
    ({"carrier": "FEDEX"}, "W6610 SCAC of order 1001"),
    ({"carrier": "U"}, "W6610 SCAC of order 1001"),
    ({"service": "Two day express with signature and insurance"}, "W6605 routing of order 1001"),
    ({"ship_to": {"city": "Llanfairpwllgwyngyllgogerychwyrndrobwll"}}, "N401 city of order 1001"),
    ({"ship_to": {"state": "Illinoiz"}}, "N402 state of order 1001"),
    ({"ship_to": {"postal_code": "12"}}, "N403 postal code of order 1001"),
    ({"ship_to": {"country": "United States"}}, "N404 country code of order 1001"),
    ({"facility": "D"}, "N104 facility of order 1001"),
    ({"lines": [WarehouseLine(1, "S" * 49, 1)]}, "W0105 SKU of order 1001 line 1"),
])
def test_a_value_that_cannot_be_sent_raises_render_error_naming_element_and_order(changes, element):
    with pytest.raises(RenderError) as err:
        X12Format({}).render_orders([order(**changes)])
    assert err.value.field == element


def test_names_and_address_lines_are_shortened_or_split_at_words(valid_x12):
    long_street = "1200 North Very Long Industrial Parkway Extension Building 7 Loading Dock"
    segs = render(order(ship_to={"name": "Bartholomew " * 6, "street1": long_street}), valid_x12)
    n1 = next(s for s in segs if s.startswith("N1*ST*"))
    assert len(n1) - len("N1*ST*") <= 60 and n1.endswith("BARTHOLOMEW")
    n3 = [s for s in segs if s.startswith("N3*")]
    assert n3 == ["N3*1200 NORTH VERY LONG INDUSTRIAL PARKWAY EXTENSION*BUILDING 7 LOADING DOCK", "N3*APT 2"]


def test_notes_and_descriptions_break_at_word_boundaries(valid_x12):
    words = "fragile " * 25
    segs = render(order(notes=words, lines=[WarehouseLine(1, "SKU-1", 1, "handmade ceramic " * 5)]), valid_x12)
    notes = [s.split("*", 2)[2] for s in segs if s.startswith("NTE*")]
    assert all(len(n) <= 80 and set(n.split()) == {"FRAGILE"} for n in notes) and len(notes) == 3
    g69 = [s[4:] for s in segs if s.startswith("G69*")]
    assert all(len(g) <= 45 and not g.startswith(" ") for g in g69)
    assert " ".join(g69) == ("HANDMADE CERAMIC " * 5).strip()
    (back,) = X12Format({}).parse_orders(X12Format({}).render_orders([order(notes=words)])).items
    assert back.notes == words.upper().strip()


def test_state_names_become_codes_and_foreign_regions_leave_n402_empty(valid_x12):
    assert "N4*RALEIGH*NC*27601*US" in render(order(ship_to={"city": "Raleigh", "state": "North Carolina",
                                                               "postal_code": "27601"}), valid_x12)
    segs = render(order(ship_to={"city": "Munich", "state": "Bavaria", "postal_code": "80331", "country": "DE"}),
                  valid_x12)
    assert "N4*MUNICH**80331*DE*SP*BAVARIA" in segs
    (back,) = X12Format({}).parse_orders(X12Format({}).render_orders([order(
        ship_to={"city": "Munich", "state": "Bavaria", "postal_code": "80331", "country": "DE"})])).items
    assert back.ship_to.state == "BAVARIA"


def test_the_997s_dockline_writes_pass_the_validator(valid_x12):
    wms = X12Format({"character_set": "extended"})
    good = wms.render_orders([order(), order(order_number="1002")])
    valid_x12(X12Format({}).render_997(good), "997")
    bad = good.replace(b"W01*2*EA", b"W01*two*EA", 1)
    ack = X12Format({}).render_997(bad)
    valid_x12(ack, "997")
    assert b"AK5*R*5" in ack and b"AK9*P*2*2*1" in ack
