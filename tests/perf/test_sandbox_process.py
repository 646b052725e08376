"""`dockline sandbox`: the store and the warehouse in a process of their own, as benchmarks use them."""
import ftplib
import time

import httpx

from dockline.sandbox.remote import RemoteSandboxes


def test_sandbox_process_serves_the_store_and_the_warehouse_and_stops_on_sigterm():
    sandboxes = RemoteSandboxes.spawn(latency_ms=150)
    try:
        store, warehouse = sandboxes.description["store"], sandboxes.description["warehouse"]["settings"]
        number, placed_at = sandboxes.place_orders(1)[0]
        assert abs(placed_at - time.time()) < 30
        api = httpx.Client(base_url=f"{store['api_base']}/stores/{store['credentials']['store_hash']}",
                           headers={"X-Auth-Token": store["credentials"]["access_token"], "Accept": "application/json"})
        started = time.perf_counter()
        order = api.get(f"/v2/orders/{number}").json()
        assert time.perf_counter() - started >= 0.15, "--latency-ms did not delay the answer"
        assert order["id"] == int(number)
        sandboxes.set_latency(0)
        started = time.perf_counter()
        api.get(f"/v2/orders/{number}")
        assert time.perf_counter() - started < 0.15
        api.close()
        ftp = ftplib.FTP()
        ftp.connect(warehouse["host"], warehouse["port"], timeout=10)
        ftp.login(warehouse["username"], warehouse["password"])
        assert "in" in [name.rsplit("/", 1)[-1] for name in ftp.nlst("/")]
        ftp.quit()
        assert sandboxes.requests_by_route() == {"GET /v2/orders/{order_id}": 2}
    finally:
        sandboxes.stop()
    assert sandboxes.process.returncode == 0, "the sandbox process did not stop cleanly on SIGTERM"
