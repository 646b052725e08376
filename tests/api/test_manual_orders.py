"""Manual orders through the API and CSV uploads in the dashboard: all or nothing, de-duplicated, and they flow."""
from django.contrib.auth import get_user_model
from django.utils import timezone
from tests.api.conftest import ORDER

from dockline.accounts.models import Membership
from dockline.alerts.models import Endpoint
from dockline.alerts.models import Event as AlertEvent
from dockline.core.types import StoreShipment
from dockline.mapping.services import Mapper, save_listing, save_shipping_rule
from dockline.orders.models import Order
from dockline.orders.services import prepare_orders, warehouse_orders
from dockline.orders.status import OrderStatus as S
from dockline.platforms.base import connector_class
from dockline.rules.models import Rule
from dockline.rules.services import save_rule, switch_rule
from dockline.shipments.models import Package, Shipment, ShipmentLine
from dockline.shipments.services import post_shipments

HEADER = "order_number,placed_at,email,name,street1,city,state,postal_code,country,shipping_method,sku,quantity,item_name"
GOOD = [
    "C-1,2026-03-01,ada@example.com,Ada Lovelace,1 Main St,Springfield,IL,12345,US,Ground,MUG,2,Mug",
    "C-1,,,,,,,,,,SOCK,1,Socks",
    "C-2,2026-03-02T10:00:00Z,,Bob Ross,2 Oak Ave,Portland,OR,97201,us,Ground,MUG,1,Mug",
]


def _upload(client, connection, lines):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = ("\n".join([HEADER, *lines]) + "\n").encode()
    return client.post(f"/connections/{connection.id}/orders/upload/",
                       {"file": SimpleUploadedFile("orders.csv", data, content_type="text/csv")})


def _admin(client, org):
    user = get_user_model().objects.create_user("admin", password="pw-long-enough-1")
    Membership.objects.create(user=user, organization=org, role="admin")
    client.force_login(user)
    return user


def test_a_csv_with_one_bad_line_adds_no_order_and_names_the_line(tenants, client):
    _admin(client, tenants["org"])
    response = _upload(client, tenants["manual"], [*GOOD, "C-3,yesterday,,Cy,3 Elm,Austin,TX,78701,USA,Ground,MUG,0,Mug"])
    assert response.status_code == 422
    text = response.content.decode()
    assert "Line 5:" in text and "placed_at" in text and "quantity" in text and "country" in text
    assert not Order.objects.exists()


def test_a_good_csv_adds_each_order_once_even_when_uploaded_twice(tenants, client):
    user = _admin(client, tenants["org"])
    assert _upload(client, tenants["manual"], GOOD).status_code == 302
    assert _upload(client, tenants["manual"], GOOD).status_code == 302
    orders = {o.number: o for o in Order.objects.all()}
    assert sorted(orders) == ["C-1", "C-2"]
    assert [(ln.sku, ln.quantity) for ln in orders["C-1"].lines.all()] == [("MUG", 2), ("SOCK", 1)]
    assert orders["C-2"].destinations[0]["address"]["country"] == "US"
    imported = orders["C-1"].activity.get()
    assert imported.user == user and "orders.csv" in imported.message


def test_csv_upload_is_refused_for_a_connection_that_imports_from_its_store(tenants, client):
    _admin(client, tenants["org"])
    response = _upload(client, tenants["acme"], GOOD)
    assert response.status_code == 302 and not Order.objects.exists()


def test_an_order_created_by_the_api_is_mapped_and_written_for_the_warehouse_like_an_imported_one(
        tenants, key_for, call):
    conn = tenants["manual"]
    save_listing(conn, "MUG", [("WH-MUG", 1)])
    save_shipping_rule(conn, "Ground", "UPS", "GND")
    response = call("POST", "/orders", key_for(), {**ORDER, "connection": conn.id})
    assert response.status_code == 201
    assert response.json()["activity"][0]["actor_kind"] == "api_key"
    assert prepare_orders(conn) == {"queued": 1, "error": 0}
    [ticket] = warehouse_orders(Order.objects.get(), Mapper.for_connection(conn))
    assert (ticket.carrier, ticket.ship_to.country, ticket.lines[0].sku, ticket.lines[0].quantity) == \
        ("UPS", "US", "WH-MUG", 2)


def test_api_orders_are_refused_on_a_store_connection_and_duplicates_are_409(tenants, key_for, call):
    token = key_for()
    refused = call("POST", "/orders", token, {**ORDER, "connection": tenants["acme"].id})
    assert refused.status_code == 409 and "Manual" in refused.json()["detail"]
    assert call("POST", "/orders", token, {**ORDER, "connection": tenants["manual"].id}).status_code == 201
    again = call("POST", "/orders", token, {**ORDER, "connection": tenants["manual"].id})
    assert again.status_code == 409 and Order.objects.count() == 1


def test_a_manual_orders_shipment_is_recorded_in_dockline_without_a_store():
    connector = connector_class("manual")({}, {})
    assert list(connector.fetch_orders(None)) == []
    shipment = StoreShipment("M-1", "1", [], "UPS", "GND", ["1Z"], shipped_at=None, reference="WH-7")
    assert connector.post_shipment(shipment) == connector.post_shipment(shipment) == "dockline:WH-7"


def test_an_api_order_runs_the_import_rules_as_an_imported_order_does(tenants, key_for, call):
    conn = tenants["manual"]
    rule = save_rule(Rule(merchant=conn.merchant, name="Review mugs", hook="import", conditions='"MUG" in order.skus',
                          actions="hold: review"))
    switch_rule(rule, True)
    response = call("POST", "/orders", key_for(), {**ORDER, "connection": conn.id})
    assert response.status_code == 201
    order = Order.objects.get()
    assert order.status == S.PENDING and order.holds.get().rule == rule


def test_a_manual_orders_shipment_goes_to_the_outbound_webhooks_and_says_it_is_only_recorded_in_dockline(
        tenants, key_for, call):
    conn = tenants["manual"]
    save_listing(conn, "MUG", [("WH-MUG", 1)])
    save_shipping_rule(conn, "Ground", "UPS", "GND")
    Endpoint.objects.create(organization=tenants["org"], name="Ops", url="https://hooks.example.com/d",
                            secrets={"secret": "whsec_x"}, events=["shipment.posted"])
    call("POST", "/orders", key_for(), {**ORDER, "connection": conn.id})
    prepare_orders(conn)
    order = Order.objects.get()
    line = order.lines.get()
    shipment = Shipment.objects.create(order=order, warehouse=conn.warehouse, warehouse_shipment_id="WH-7",
                                       destination_ref="1", shipped_at=timezone.now(), carrier="UPS", service="GND")
    ShipmentLine.objects.create(shipment=shipment, order_line=line, warehouse_sku="WH-MUG", quantity=2)
    Package.objects.create(shipment=shipment, tracking_number="1Z999")
    assert post_shipments(conn, connector_class("manual")({}, {}))["posted"] == 1
    event = AlertEvent.objects.get(kind="shipment.posted")
    assert event.order_id == order.id and event.payload["shipment"]["tracking_numbers"] == ["1Z999"]
    posted = order.activity.get(event="posted").message
    assert "recorded in Dockline" in posted and "posted to the store" not in posted
