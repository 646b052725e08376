"""The BigCommerce sandbox itself, over plain HTTP: what any client would see."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from dockline.sandbox.bigcommerce import BigCommerceSandbox

RATE_HEADERS = (
    "X-Rate-Limit-Requests-Quota", "X-Rate-Limit-Requests-Left",
    "X-Rate-Limit-Time-Window-Ms", "X-Rate-Limit-Time-Reset-Ms",
)


@pytest.fixture
def sb():
    with BigCommerceSandbox(store_hash="demo", access_token="sandbox-token", quota=10_000) as sandbox:
        yield sandbox


def client(sb, token="sandbox-token") -> httpx.Client:
    return httpx.Client(
        base_url=f"{sb.base_url}/stores/{sb.store_hash}",
        headers={"X-Auth-Token": token, "Accept": "application/json"},
    )


def test_quota_is_enforced_with_rate_limit_headers_on_every_answer():
    with BigCommerceSandbox(quota=3, window_seconds=0.5) as sb, client(sb) as c, client(sb, "bad") as bad:
        answers = [c.get("/v2/order_statuses") for _ in range(3)]
        unauthorized = bad.get("/v2/order_statuses")  # does not spend the quota
        limited = c.get("/v2/order_statuses")
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["X-Rate-Limit-Requests-Left"] for a in answers] == ["2", "1", "0"]
        assert unauthorized.status_code == 401 and all(h in unauthorized.headers for h in RATE_HEADERS)
        assert limited.status_code == 429 and all(h in limited.headers for h in RATE_HEADERS)
        assert limited.headers["X-Rate-Limit-Requests-Quota"] == "3"
        assert limited.headers["X-Rate-Limit-Time-Window-Ms"] == "500"
        reset_ms = int(limited.headers["X-Rate-Limit-Time-Reset-Ms"])
        assert 0 < reset_ms <= 500
        assert sb.stats.rate_limited == 1
        time.sleep(reset_ms / 1000 + 0.02)
        assert c.get("/v2/order_statuses").status_code == 200


def test_error_bodies_follow_v2_and_v3_conventions(sb):
    with client(sb) as c, client(sb, "nope") as bad:
        missing = c.get("/v2/orders/999")
        assert missing.status_code == 404
        assert missing.json() == [{"status": 404, "message": "The requested resource was not found."}]
        assert bad.get("/v2/orders").json()[0]["status"] == 401
        v3 = bad.get("/v3/catalog/products")
        assert v3.status_code == 401 and set(v3.json()) == {"status", "title", "type", "errors"}
        unprocessable = c.put("/v3/inventory/adjustments/absolute", json={"items": [{"location_id": 1, "sku": "X", "quantity": 1}]})
        assert unprocessable.status_code == 422
        body = unprocessable.json()
        assert body["status"] == 422 and "sku X not found" in body["title"] and body["errors"] == {}
        assert c.put("/v2/orders/100", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
        assert c.get(f"{sb.base_url}/stores/otherstore/v2/orders").status_code == 404


def test_v2_orders_paging_filters_and_204(sb):
    store = sb.store
    store.add_product(sku="SKU", price="1.00")
    now = datetime.now(UTC).replace(microsecond=0)
    ids = [store.place_order(items=[("SKU", 1)], placed_at=now - timedelta(hours=300 - n)) for n in range(300)]
    with client(sb) as c:
        page1 = c.get("/v2/orders", params={"limit": 500, "page": 1})
        assert len(page1.json()) == 250  # limit is capped at 250
        assert len(c.get("/v2/orders", params={"limit": 250, "page": 2}).json()) == 50
        empty = c.get("/v2/orders", params={"limit": 250, "page": 3})
        assert empty.status_code == 204 and empty.content == b""
        cutoff = now - timedelta(hours=10, minutes=30)
        for since in (cutoff.strftime("%a, %d %b %Y %H:%M:%S +0000"), cutoff.isoformat()):
            got = c.get("/v2/orders", params={"min_date_modified": since, "sort": "date_modified:desc"}).json()
            assert [o["id"] for o in got] == ids[-10:][::-1]
        assert c.get("/v2/orders", params={"min_date_modified": "yesterday-ish"}).status_code == 400
        assert [o["id"] for o in c.get("/v2/orders", params={"min_id": ids[-2]}).json()] == ids[-2:]


def test_shipments_update_quantities_and_status(sb):
    store = sb.store
    store.add_product(sku="A", price="1.00")
    oid = store.place_order(items=[("A", 3)])
    line = store.order_products(oid)[0]
    address = store.order_addresses(oid)[0]
    with client(sb) as c:
        assert c.get(f"/v2/orders/{oid}/shipments").status_code == 204

        def ship(qty):
            return c.post(f"/v2/orders/{oid}/shipments", json={
                "order_address_id": address["id"], "tracking_number": "T",
                "items": [{"order_product_id": line["id"], "quantity": qty}]})

        assert ship(2).status_code == 201
        assert store.orders[oid]["status_id"] == 3
        too_many = ship(2)
        assert too_many.status_code == 400 and "remaining" in too_many.json()[0]["message"]
        assert ship(1).status_code == 201
        assert store.orders[oid]["status"] == "Shipped" and store.orders[oid]["items_shipped"] == 3
        assert len(c.get(f"/v2/orders/{oid}/shipments").json()) == 2
        bad_provider = c.post(f"/v2/orders/{oid}/shipments", json={
            "order_address_id": address["id"], "shipping_provider": "pigeon",
            "items": [{"order_product_id": line["id"], "quantity": 1}]})
        assert bad_provider.status_code == 400


def test_shipment_text_fields_are_refused_beyond_the_specs_max_length(sb, shared_specs):
    with open(shared_specs("bigcommerce") / "orders.v2.oas2.yml", encoding="utf-8") as fh:
        fields = yaml.safe_load(fh)["components"]["schemas"]["orderShipment_Post"]["properties"]
    limits = {name: f["maxLength"] for name, f in fields.items() if "maxLength" in f}
    assert limits["tracking_number"] == 50
    store = sb.store
    store.add_product(sku="A", price="1.00")
    oid = store.place_order(items=[("A", 2 * len(limits))])
    line, address = store.order_products(oid)[0], store.order_addresses(oid)[0]
    with client(sb) as c:
        for name, limit in limits.items():
            def ship(value, name=name):
                return c.post(f"/v2/orders/{oid}/shipments", json={
                    "order_address_id": address["id"], name: value,
                    "items": [{"order_product_id": line["id"], "quantity": 1}]})

            refused = ship("x" * (limit + 1))
            assert refused.status_code == 400 and name in refused.json()[0]["message"], name
            assert ship("x" * limit).status_code == 201, name


def test_concurrent_shipments_never_ship_more_than_ordered(sb):
    store = sb.store
    store.add_product(sku="A", price="1.00")
    oid = store.place_order(items=[("A", 10)])
    line_id = store.order_products(oid)[0]["id"]
    address_id = store.order_addresses(oid)[0]["id"]
    codes = []

    def worker():
        with client(sb) as c:
            r = c.post(f"/v2/orders/{oid}/shipments", json={
                "order_address_id": address_id, "items": [{"order_product_id": line_id, "quantity": 1}]})
            codes.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] * 10 + [400] * 6
    assert store.order_products(oid)[0]["quantity_shipped"] == 10


def test_absolute_adjustments_respect_tracking_mode_and_are_atomic(sb):
    store = sb.store
    pid = store.add_product(sku="MUG", inventory_level=5, variants=[{"sku": "MUG-RED", "label": "Red"}])
    store.add_product(sku="PEN", inventory_level=1)
    red = next(v for v in store.variants.values() if v["sku"] == "MUG-RED")
    with client(sb) as c:
        r = c.put("/v3/inventory/adjustments/absolute", json={"items": [
            {"location_id": 1, "sku": "PEN", "quantity": 50},
            {"location_id": 1, "variant_id": red["id"], "quantity": 3},
        ]})
        assert r.status_code == 422
        assert f"variant_id {red['id']} is tracked by product, please update stock by product id" in r.json()["title"]
        assert store.inventory_level("PEN") == 1  # nothing applied
        too_many = c.put("/v3/inventory/adjustments/absolute", json={"items": [
            {"location_id": 1, "product_id": pid, "quantity": 1}] * 2001})
        assert too_many.status_code == 422
        ok = c.put("/v3/inventory/adjustments/absolute", json={"items": [{"location_id": 1, "product_id": pid, "quantity": 8}]})
        assert ok.status_code == 200 and ok.json()["transaction_id"]
        assert store.inventory_level("MUG") == 8
        listed = c.get("/v3/catalog/products", params={"sku:in": "MUG,PEN", "include": "variants"}).json()
        assert [(p["sku"], p["inventory_level"]) for p in listed["data"]] == [("MUG", 8), ("PEN", 1)]
        assert listed["meta"]["pagination"]["total"] == 2


def test_orders_take_stock(sb):
    sb.store.add_product(sku="A", price="1.00", inventory_level=5)
    sb.store.place_order(items=[("A", 2)])
    assert sb.store.inventory_level("A") == 3


def test_read_only_scope_can_read_but_not_write(sb):
    sb.store.add_product(sku="A", price="1.00")
    oid = sb.store.place_order(items=[("A", 1)])
    sb.scopes = {"store_v2_orders_read_only"}
    with client(sb) as c:
        assert c.get(f"/v2/orders/{oid}").status_code == 200
        denied = c.put(f"/v2/orders/{oid}", json={"status_id": 9})
        assert denied.status_code == 403 and denied.json()[0]["status"] == 403
        assert c.get("/v3/inventory/items").status_code == 403
    assert sb.store.orders[oid]["status_id"] == 11


def test_faults(sb):
    with client(sb) as c:
        sb.faults.fail_next(2, status=503)
        assert [c.get("/v2/order_statuses").status_code for _ in range(3)] == [503, 503, 200]
        sb.faults.drop_next(1)
        with pytest.raises(httpx.TransportError):
            c.get("/v2/order_statuses")
        sb.faults.timeout_next(1, seconds=0.5)
        with pytest.raises(httpx.TimeoutException):
            c.get("/v2/order_statuses", timeout=0.1)
        sb.faults.latency = 0.2
        started = time.monotonic()
        assert c.get("/v2/order_statuses").status_code == 200
        assert time.monotonic() - started >= 0.2
        sb.faults.reset()
