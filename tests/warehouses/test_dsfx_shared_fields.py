"""DSFX, JSON and X12 read values through one layer (formats/fields.py): the same bad quantity gets the
same words in every format, naming the field (column, JSON path or X12 element) and the value."""
import json

from dockline.warehouses.formats.dsfx import DsfxFormat
from dockline.warehouses.formats.jsonfmt import JsonFormat
from dockline.warehouses.formats.x12 import X12Format


def test_the_same_bad_quantity_reads_the_same_in_every_format():
    dsfx = DsfxFormat({}).parse_inventory(b"sku,on_hand,available\r\nA,1,2.5\r\n")
    as_json = JsonFormat({}).parse_inventory(json.dumps({"inventory": [{"sku": "A", "on_hand": 1,
                                                                       "available": "2.5"}]}).encode())
    x12 = X12Format({}).render_inventory([]).decode()  # an empty interchange, to get a valid ISA
    x12 = x12.replace("IEA*0*", "GS*IB*WAREHOUSE*DOCKLINE*20240101*1200*1*X*004010~\nST*846*0001~\n"
                                "BIA*00*DD*R1*20240101*1200~\nLIN**VN*A~\nQTY*33*2.5*EA~\nSE*5*0001~\nGE*1*1~\nIEA*1*")
    x12_errors = X12Format({}).parse_inventory(x12.encode()).errors
    assert [e.reason for e in dsfx.errors] == ["available '2.5' is not a whole number"]
    assert [e.reason for e in as_json.errors] == ["inventory[0].available '2.5' is not a whole number"]
    assert "QTY02 quantity available '2.5' is not a whole number (SKU 'A' not read)" in x12_errors[0].reason


def test_a_value_in_exponent_form_is_not_a_number_in_text():
    parsed = DsfxFormat({}).parse_inventory(b"sku,on_hand,available\r\nA,1e3,1\r\n")
    assert [e.reason for e in parsed.errors] == ["on_hand '1e3' is not a whole number"]
