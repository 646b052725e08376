"""Listings and shipping rules through the API: the dashboard's services, held orders let through, CSV all or nothing."""
from tests.api.conftest import make_order

from dockline.mapping.models import Listing
from dockline.orders.services import prepare_orders


def test_a_listing_made_through_the_api_lets_the_order_held_for_it_go_on(tenants, key_for, call):
    token, conn = key_for(), tenants["acme"]
    order = make_order(conn, "A-1")
    call("POST", f"/connections/{conn.id}/shipping-rules", token, {"store_method": "Ground", "carrier": "UPS"})
    prepare_orders(conn)
    order.refresh_from_db()
    assert order.status == "error" and "MUG" in order.error
    created = call("POST", f"/connections/{conn.id}/listings", token,
                   {"store_sku": "MUG", "components": [{"sku": "WH-MUG", "quantity": 2}]})
    assert created.status_code == 201 and created.json()["components"] == [{"sku": "WH-MUG", "quantity": 2}]
    order.refresh_from_db()
    assert order.status == "queued"
    listing_id = created.json()["id"]
    changed = call("PUT", f"/connections/{conn.id}/listings/{listing_id}", token, {"components": [{"sku": "WH-MUG-2"}]})
    assert changed.json()["components"] == [{"sku": "WH-MUG-2", "quantity": 1}]
    assert call("DELETE", f"/connections/{conn.id}/listings/{listing_id}", token).status_code == 204
    assert not Listing.objects.exists()


def test_a_listings_csv_with_a_bad_line_changes_nothing_and_lists_the_line(tenants, key_for, client):
    conn = tenants["acme"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key_for()}"}
    bad = b"store_sku,warehouse_sku,quantity\nMUG,WH-MUG,1\nTEE,,1\n"
    refused = client.post(f"/api/v1/connections/{conn.id}/listings/import", bad, content_type="text/csv", **headers)
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"] == ["Line 3: store_sku and warehouse_sku are both needed."]
    assert not Listing.objects.exists()
    good = client.post(f"/api/v1/connections/{conn.id}/listings/import", bad.replace(b"TEE,,", b"TEE,WH-TEE,"),
                       content_type="text/csv", **headers)
    assert good.json() == {"saved": 2, "queued": 0}
