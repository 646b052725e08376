"""Exchange records keep file contents compressed, and give back the bytes as sent or received."""
from dockline.accounts.models import Organization
from dockline.warehouses.models import Direction, ExchangeRecord, Warehouse


def _warehouse():
    org = Organization.objects.create(name="3PL")
    return Warehouse.objects.create(organization=org, name="WMS", credentials={"host": "h"})


def test_content_is_stored_compressed_and_read_back_whole(db):
    body = b"order_number,sku,quantity\r\n" + b"1001,MUG-ENML-01,2\r\n" * 5000
    record = ExchangeRecord.objects.create(warehouse=_warehouse(), direction=Direction.IN, kind="shipments",
                                           filename="shp_1.csv", checksum=ExchangeRecord.checksum_of(body),
                                           size=len(body), content=body)
    stored = ExchangeRecord.objects.get(pk=record.pk)
    assert stored.compressed and len(bytes(stored.content)) < len(body) / 20
    assert stored.data == body


def test_a_record_from_before_compression_reads_as_it_was(db):
    record = ExchangeRecord.objects.create(warehouse=_warehouse(), direction=Direction.OUT, kind="orders",
                                           filename="ord_1.csv", checksum="x", size=3, content=b"abc")
    ExchangeRecord.objects.filter(pk=record.pk).update(content=b"old raw bytes", compressed=False)
    assert ExchangeRecord.objects.get(pk=record.pk).data == b"old raw bytes"


def test_x12_group_control_is_read_from_the_original_bytes(db):
    isa = (b"ISA*00*          *00*          *ZZ*DOCKLINE       *ZZ*WAREHOUSE      *260302*1200*U*00401*"
           b"000000001*0*P*>~GS*OW*DOCKLINE*WAREHOUSE*20260302*1200*4711*X*004010~")
    record = ExchangeRecord.objects.create(warehouse=_warehouse(), direction=Direction.OUT, kind="orders",
                                           filename="940_1.edi", checksum="y", size=len(isa), content=isa)
    assert ExchangeRecord.objects.get(pk=record.pk).group_control == 4711
