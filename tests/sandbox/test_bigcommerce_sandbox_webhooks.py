"""The BigCommerce sandbox's webhooks: `/v3/hooks` records, and callbacks POSTed to a real receiver
with the headers given at registration when orders are created or change status. As BigCommerce,
the sandbox takes only https destinations on port 443; the receiver's https name resolves to loopback."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from dockline.sandbox.bigcommerce import BigCommerceSandbox
from dockline.sandbox.demo import wait_until


class Receiver:
    """A loopback HTTP server that keeps what it was sent and answers `status`."""

    def __init__(self):
        self.calls: list[tuple[dict, dict]] = []
        self.paths: list[str] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), json.loads(body)))
                outer.paths.append(self.path)
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.local = f"http://127.0.0.1:{self.server.server_port}"
        self.url = "https://receiver.test/hook"  # what the store is told; the sandbox resolves it to `local`

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sb():
    with BigCommerceSandbox(quota=10_000) as sandbox:
        sandbox.webhooks.backoff = 0.05
        sandbox.store.add_product(sku="SKU", price="1.00")
        yield sandbox


@pytest.fixture
def receiver(sb):
    r = Receiver()
    sb.webhooks.resolve["receiver.test"] = r.local
    yield r
    r.close()


def api(sb) -> httpx.Client:
    return httpx.Client(base_url=f"{sb.base_url}/stores/{sb.store_hash}/v3",
                        headers={"X-Auth-Token": sb.access_token, "Accept": "application/json"})


def test_hooks_are_created_listed_updated_and_deleted(sb, receiver):
    with api(sb) as c:
        created = c.post("/hooks", json={"scope": "store/order/created", "destination": receiver.url,
                                         "headers": {"X-Secret": "s3"}}).json()["data"]
        assert created["is_active"] and created["headers"] == {"X-Secret": "s3"} and created["store_hash"] == "demo"
        assert c.get("/hooks", params={"destination": receiver.url}).json()["data"] == [created]
        assert c.get("/hooks", params={"destination": "https://elsewhere"}).json()["data"] == []
        updated = c.put(f"/hooks/{created['id']}", json={"is_active": False}).json()["data"]
        assert updated["is_active"] is False
        assert c.delete(f"/hooks/{created['id']}").status_code == 200
        assert c.get(f"/hooks/{created['id']}").status_code == 404
        bad = c.post("/hooks", json={"destination": receiver.url})
        assert bad.status_code == 422 and "scope" in bad.json()["errors"]
        assert c.get("/hooks", headers={"X-Auth-Token": "wrong"}).status_code == 401


@pytest.mark.parametrize("destination", [
    "http://receiver.test/hook", "https://receiver.test:8443/hook", "http://127.0.0.1:8000/hooks/",
    "receiver.test/hook",
])
def test_destinations_bigcommerce_cannot_deliver_to_are_refused(sb, receiver, destination):
    with api(sb) as c:
        refused = c.post("/hooks", json={"scope": "store/order/created", "destination": destination})
        assert refused.status_code == 422 and "443" in refused.json()["errors"]["destination"]
        assert refused.json()["title"] == "JSON data is missing or invalid"
        hook = c.post("/hooks", json={"scope": "store/order/created", "destination": "https://receiver.test:443/hook"})
        assert hook.status_code == 200  # port 443 stated outright is the same address
        moved = c.put(f"/hooks/{hook.json()['data']['id']}", json={"destination": destination})
        assert moved.status_code == 422
    assert [h["destination"] for h in sb.store.hooks.values()] == ["https://receiver.test:443/hook"]


def test_order_events_are_delivered_with_the_registered_headers(sb, receiver):
    with api(sb) as c:
        c.post("/hooks", json={"scope": "store/order/created", "destination": receiver.url,
                               "headers": {"X-Secret": "s3"}})
        c.post("/hooks", json={"scope": "store/order/statusUpdated", "destination": receiver.url,
                               "headers": {"X-Secret": "s3"}})
    oid = sb.store.place_order(items=[("SKU", 1)])
    sb.store.set_status(oid, 9)
    assert wait_until(lambda: len(receiver.calls) == 2, timeout=5, interval=0.05)
    (h1, created), (_, status) = receiver.calls
    assert receiver.paths == ["/hook", "/hook"]
    assert h1["X-Secret"] == "s3" and h1["Content-Type"] == "application/json"
    assert created["scope"] == "store/order/created" and created["data"] == {"type": "order", "id": oid}
    assert created["producer"] == "stores/demo" and len(created["hash"]) == 40
    assert status["data"]["status"] == {"previous_status_id": 11, "new_status_id": 9}
    assert created["hash"] != status["hash"]


def test_failed_delivery_is_retried_and_inactive_hooks_stay_quiet(sb, receiver):
    with api(sb) as c:
        hook = c.post("/hooks", json={"scope": "store/order/*", "destination": receiver.url}).json()["data"]
        receiver.status = 500
        sb.store.place_order(items=[("SKU", 1)])
        assert wait_until(lambda: len(receiver.calls) >= 3, timeout=5, interval=0.05)
        receiver.status = 200
        assert wait_until(sb.webhooks.idle, timeout=5)
        assert [s for _, _, s in sb.webhooks.delivered][-1] == 200
        assert len({body["hash"] for _, body in receiver.calls}) == 1  # the same callback, again

        c.put(f"/hooks/{hook['id']}", json={"is_active": False})
        before = len(receiver.calls)
        sb.store.place_order(items=[("SKU", 1)])
        assert wait_until(sb.webhooks.idle, timeout=5)
        assert len(receiver.calls) == before


def test_a_destination_not_resolved_to_loopback_is_never_contacted(sb, receiver):
    with api(sb) as c:
        hook = c.post("/hooks", json={"scope": "store/order/created",
                                      "destination": "https://elsewhere.example/hook"}).json()["data"]
    sb.store.place_order(items=[("SKU", 1)])
    assert wait_until(lambda: sb.webhooks.delivered and sb.webhooks.idle(), timeout=5, interval=0.05)
    assert sb.webhooks.delivered == [(hook["id"], "store/order/created", None)] and receiver.calls == []
