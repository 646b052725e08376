"""Orders from the sandbox store to the simulated warehouse over real FTP, and what goes wrong on the way."""
import pytest

from dockline.mapping.models import Listing, ListingComponent, ShippingRule
from dockline.orders.imports import import_orders
from dockline.orders.models import Order
from dockline.orders.services import prepare_orders
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.demo import wait_until
from dockline.sync.jobs import sync_orders
from dockline.warehouses.models import Direction, ExchangeRecord


def _sent_files(world):
    return ExchangeRecord.objects.filter(warehouse=world.connection.warehouse, direction=Direction.OUT)


def _wms_took(world, count):
    assert wait_until(lambda: sum(world.wms.received.values()) >= count, timeout=15), world.wms.received


def test_orders_reach_the_warehouse_once_even_when_imported_twice(world):
    store = world.connection.store
    store.settings = {**store.settings, "forwarded_status_id": ""}  # orders stay in the monitored status
    store.save()
    ids = [world.place_order() for _ in range(5)]
    sync_orders(world.connection)
    world.connection.channels.filter(kind="orders").update(cursor={})  # forget the cursor: fetch all again
    counts = sync_orders(world.connection)

    assert counts["fetched"] == 5 and counts["new"] == 0
    assert Order.objects.filter(connection=world.connection).count() == 5
    assert set(Order.objects.values_list("status", flat=True)) == {S.OPEN}
    assert _sent_files(world).count() == 5
    _wms_took(world, 5)
    assert world.wms.received == {str(i): 1 for i in ids}


def test_a_run_that_dies_between_import_and_upload_sends_each_order_once(world):
    ids = [world.place_order() for _ in range(4)]
    connector = world.connection.store.connector()
    import_orders(world.connection, connector)  # the run dies here, before anything is uploaded
    prepare_orders(world.connection)
    assert Order.objects.filter(status=S.QUEUED).count() == 4

    sync_orders(world.connection)  # the next run
    sync_orders(world.connection)
    _wms_took(world, 4)
    assert world.wms.received == {str(i): 1 for i in ids}
    assert _sent_files(world).count() == 4


def test_a_run_that_dies_mid_upload_resends_only_what_was_not_confirmed(world, monkeypatch):
    ids = [world.place_order() for _ in range(4)]
    from dockline.warehouses.transports.ftp import FtpTransport

    real = FtpTransport.write_atomic
    uploads = []

    def dies_after_two(self, folder, name, data):
        if len(uploads) == 2:
            raise KeyboardInterrupt("process killed")  # not a ConnectorError: nothing may catch it
        real(self, folder, name, data)
        uploads.append(name)

    monkeypatch.setattr(FtpTransport, "write_atomic", dies_after_two)
    with pytest.raises(KeyboardInterrupt):
        sync_orders(world.connection)
    monkeypatch.setattr(FtpTransport, "write_atomic", real)

    sync_orders(world.connection)
    _wms_took(world, 4)
    assert world.wms.received == {str(i): 1 for i in ids}
    assert Order.objects.filter(status=S.OPEN).count() == 4


def test_unmapped_sku_or_shipping_method_stops_only_that_order(world):
    store = world.store.sandbox.store
    good = world.place_order()
    unmapped_sku = store.place_order(items=[("ACME-HAT", 1), ("ACME-MUG", 1)], shipping_method="Flat Rate")
    unmapped_method = store.place_order(items=[("ACME-MUG", 1)], shipping_method="Pigeon Post")

    sync_orders(world.connection)

    by_number = {o.number: o for o in Order.objects.all()}
    assert by_number[str(good)].status == S.OPEN
    held = by_number[str(unmapped_sku)]
    assert held.status == S.ERROR
    assert "SKU ACME-HAT has no listing and is not a warehouse SKU" in held.error
    assert "Pigeon Post" in by_number[str(unmapped_method)].error
    assert by_number[str(unmapped_method)].status == S.ERROR
    assert held.activity.filter(level="error", message__contains="ACME-HAT").exists()
    _wms_took(world, 1)
    assert world.wms.received == {str(good): 1}

    # Mapping the SKU and the method lets the held orders flow on the next run.
    listing = Listing.objects.create(connection=world.connection, store_sku="ACME-HAT")
    ListingComponent.objects.create(listing=listing, warehouse_sku="LANTERN-300", quantity=1)
    ShippingRule.objects.create(connection=world.connection, store_method="pigeon post", carrier="USPS", service="FIRST")
    sync_orders(world.connection)
    assert Order.objects.filter(status=S.OPEN).count() == 3


def test_an_order_whose_retries_ran_out_is_failed_not_canceled_and_reprocess_starts_afresh(world):
    from datetime import timedelta

    from django.utils import timezone

    from dockline.orders.actions import reprocess
    from dockline.orders.services import MAX_ATTEMPTS, forward_orders
    from dockline.warehouses.transports import transport_class
    from dockline.warehouses.transports.base import TransportConfig

    number = world.place_order()
    connector = world.connection.store.connector()
    import_orders(world.connection, connector)
    prepare_orders(world.connection)
    Order.objects.update(status=S.DELAYED, attempts=MAX_ATTEMPTS - 1, retry_at=timezone.now() - timedelta(seconds=1))
    nobody_listens = transport_class("ftp")(TransportConfig(host="127.0.0.1", port=9, username="u", timeout=2))

    forward_orders(world.connection, nobody_listens, world.connection.warehouse.file_format_handler(), connector)
    connector.close()

    order = Order.objects.get(number=number)
    assert order.status == S.FAILED and order.get_status_display() == "Failed"
    assert "connection refused" in order.error
    assert order.activity.filter(level="error", message__contains=f"after {MAX_ATTEMPTS} attempt(s)").exists()
    reprocess(order, by="a test")
    order.refresh_from_db()
    assert order.status == S.QUEUED and order.attempts == 0  # every attempt again
    sync_orders(world.connection)
    _wms_took(world, 1)
    assert world.wms.received == {str(number): 1}
