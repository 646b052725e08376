"""The inventory page shows every term of what is offered to the store, on a desk screen and on a phone."""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import BufferUnit, Connection, ConnectionWarehouse, Store
from dockline.inventory.models import StockLevel
from dockline.orders.models import Dispatch, Order, OrderLine
from dockline.orders.status import OrderStatus as S
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse


def _world():
    org = Organization.objects.create(name="Riverside Fulfillment")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme on BigCommerce", platform="bigcommerce")
    first, second = (Warehouse.objects.create(organization=org, name=n, credentials={"host": "127.0.0.1"})
                     for n in ("Riverside 3PL", "Harbor 3PL"))
    conn = Connection.objects.create(organization=org, name="Acme", merchant=merchant, store=store, warehouse=first,
                                     stock_buffer=10, stock_buffer_unit=BufferUnit.PERCENT, stock_minimum=5)
    ConnectionWarehouse.objects.create(connection=conn, warehouse=second, position=1)
    counted = timezone.now() - timedelta(hours=2)
    for warehouse, sku, qty in [(first, "LANTERN-300", 100), (second, "LANTERN-300", 30), (first, "MUG-ENML-01", 4)]:
        StockLevel.objects.create(warehouse=warehouse, sku=sku, available=qty, on_hand=qty, as_of=counted)
    now = timezone.now()
    order = Order.objects.create(connection=conn, store=store, external_id="1001", number="1001", status=S.OPEN,
                                 placed_at=now, store_modified_at=now,
                                 destinations=[{"ref": "1", "address": {}, "shipping_method": "Flat Rate"}])
    OrderLine.objects.create(order=order, line_id="1", sku="LANTERN-300", quantity=12,
                             components=[{"sku": "LANTERN-300", "quantity": 1}])
    exchange = ExchangeRecord.objects.create(warehouse=second, direction=Direction.OUT, kind=ExchangeKind.ORDERS,
                                             filename="ord_1001.csv", checksum="x", size=1, content=b"x")
    exchange.move_to(ExchangeState.SENT)
    Dispatch.objects.create(order=order, warehouse=second, warehouse_order_number="1001", destination_ref="1",
                            exchange=exchange)
    held = Order.objects.create(connection=conn, store=store, external_id="1002", number="1002", status=S.PENDING,
                                placed_at=now, store_modified_at=now,
                                destinations=[{"ref": "1", "address": {}, "shipping_method": "Flat Rate"}])
    OrderLine.objects.create(order=held, line_id="1", sku="LANTERN-300", quantity=3,
                             components=[{"sku": "LANTERN-300", "quantity": 1}])
    user = get_user_model().objects.create_user("ops", password="pw-long-enough-1")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    return conn


def test_inventory_page_shows_each_warehouse_in_flight_units_those_not_sent_the_buffer_and_the_minimum(
        page, login, shot, transactional_db):
    conn = _world()
    page.set_viewport_size({"width": 1366, "height": 900})
    login("ops", "pw-long-enough-1")
    page.goto("/inventory/")
    lantern = page.locator('tr[data-sku="LANTERN-300"]')
    # Riverside 100 + Harbor (30 less the 12 sent after its count) = 118; less the 3 of an order on hold = 115;
    # 10% held back rounded up: 12
    expect(lantern.locator(".term").nth(0)).to_contain_text("Riverside 3PL: 100 − 0 = 100")
    expect(lantern.locator(".term").nth(1)).to_contain_text("Harbor 3PL: 30 − 12 = 18")
    expect(lantern.locator(".term").nth(2)).to_have_text("Sum: 118")
    expect(lantern.locator(".not-sent")).to_have_text("− 3")
    expect(lantern.locator(".buffer")).to_contain_text("− 12 (10%, connection)")
    expect(lantern.locator(".offered")).to_have_text("103")
    mug = page.locator('tr[data-sku="MUG-ENML-01"]')  # 4 less 1 held back is below the minimum level of 5
    expect(mug.locator(".minimum")).to_contain_text("below: 0 offered")
    expect(mug.locator(".offered")).to_have_text("0")
    shot("inventory-terms-1366")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(lantern.locator(".offered")).to_be_visible()
    assert page.locator("table.stock-terms").bounding_box()["width"] <= 390  # one block per SKU, no sideways scroll
    shot("inventory-terms-390")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/connections/{conn.pk}/#warehouses")
    expect(page.locator("#warehouses ol.warehouses li")).to_have_count(2)
    expect(page.locator("#warehouses ol.warehouses li").nth(1)).to_contain_text("Harbor 3PL")
    expect(page.locator("#stock_buffer")).to_have_value("10")
    shot("connection-warehouses-1366")
