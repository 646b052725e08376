"""Listings CSV, "needs mapping" and the order actions, through the dashboard."""
import pytest

from dockline.accounts.models import Role
from dockline.connections.models import Channel
from dockline.inventory.models import StockLevel
from dockline.mapping.csv import export_listings, import_listings
from dockline.mapping.models import Listing, ShippingRule
from dockline.orders.services import prepare_orders

pytestmark = pytest.mark.django_db


def test_listings_csv_round_trip_and_bad_file_changes_nothing(make_connection):
    conn = make_connection()
    data = b"store_sku,warehouse_sku,quantity\nKIT,MUG,1\nKIT,SOCK,2\nTEE,TT-1,\n"
    result = import_listings(conn, data)
    assert result.errors == [] and result.saved == 2
    assert export_listings(conn) == "store_sku,warehouse_sku,quantity\r\nKIT,MUG,1\r\nKIT,SOCK,2\r\nTEE,TT-1,1\r\n"
    assert Listing.objects.get(connection=conn, store_sku="KIT").is_bundle

    bad = import_listings(conn, b"store_sku,warehouse_sku,quantity\nTEE,TT-2,1\nHAT,,1\nCAP,C,zero\n")
    assert bad.saved == 0
    assert bad.errors == ["Line 3: store_sku and warehouse_sku are both needed.",
                          "Line 4: quantity must be a whole number of 1 or more, not 'zero'."]
    assert [c.warehouse_sku for c in Listing.objects.get(store_sku="TEE").components.all()] == ["TT-1"]
    assert import_listings(conn, b"sku;qty\n").errors[0].startswith("Line 1: the header must be")


def test_mapping_a_sku_from_needs_mapping_releases_the_held_order(client, make_connection, make_order, login_as):
    conn = make_connection()
    ShippingRule.objects.create(connection=conn, store_method="Flat Rate", carrier="UPS", service="GND")
    StockLevel.objects.create(warehouse=conn.warehouse, sku="HAT-01", available=5)
    held = make_order(conn, "1001", skus=("ACME-HAT",), status="new")
    odd = make_order(conn, "1002", skus=("HAT-01",), method="Pigeon")
    prepare_orders(conn)
    held.refresh_from_db()
    assert held.status == "error"
    login_as(Role.ADMIN)
    page = client.get("/mapping/needed/").content.decode()
    assert "ACME-HAT" in page and "Pigeon" in page

    Channel.objects.filter(connection=conn).update(next_run_at="2100-01-01T00:00Z")
    response = client.post("/mapping/needed/", {"connection": conn.pk, "kind": "sku", "value": "ACME-HAT",
                                                "components": "HAT-01"}, follow=True)
    assert "1 held order(s) are queued" in response.content.decode()
    held.refresh_from_db()
    assert held.status == "queued"
    assert Channel.objects.get(connection=conn, kind="orders").next_run_at.year < 2100  # runs now

    client.post("/mapping/needed/", {"connection": conn.pk, "kind": "shipping", "value": "Pigeon", "carrier": "USPS"})
    odd.refresh_from_db()
    assert odd.status == "queued"
    assert "Everything in recent orders is mapped" in client.get("/mapping/needed/").content.decode()


def test_order_actions_follow_the_status_rules(client, make_connection, make_order, login_as):
    conn = make_connection()
    closed = make_order(conn, "1", status="closed")
    stuck = make_order(conn, "2", skus=("NOPE",), status="error")
    login_as(Role.ADMIN)

    page = client.post(f"/orders/{closed.pk}/action/", {"action": "reset"}, follow=True).content.decode()
    assert "#1 is Closed; only" in page
    client.post(f"/orders/{stuck.pk}/action/", {"action": "reprocess"})
    stuck.refresh_from_db()
    assert stuck.status == "error" and "SKU NOPE has no listing" in stuck.error

    page = client.post("/orders/bulk/", {"action": "archive", "ids": [closed.pk, stuck.pk]}, follow=True)
    assert "Archive on 2 order(s): 2 now Archived." in page.content.decode()
    closed.refresh_from_db()
    assert closed.status == "archived"
    client.post(f"/orders/{closed.pk}/action/", {"action": "reset"})
    closed.refresh_from_db()
    assert closed.status == "new"
    assert [a.message for a in closed.activity.all()][-2:] == ["Archived by user-admin.", "Reset to New by user-admin."]


def test_orders_filter_by_sku_and_status(client, make_connection, make_order, login_as):
    conn = make_connection()
    make_order(conn, "1001", skus=("MUG",), status="closed")
    make_order(conn, "1002", skus=("TEE",), status="error")
    login_as(Role.ADMIN)
    page = client.get("/orders/?q=mug").content.decode()
    assert "#1001" in page and "#1002" not in page
    page = client.get("/orders/?status=error").content.decode()
    assert "#1002" in page and "#1001" not in page
    assert "Stopped: something needs fixing" in page  # the status explained
