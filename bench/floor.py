"""The floor: the API calls and file transfers Dockline makes for N orders, and nothing else.

No database and no bookkeeping: httpx for the store, ftplib for the warehouse,
the mapping held in memory (the demo catalog's listings and shipping rules), and
the DSFX module only to write and read the files the warehouse speaks. The calls
mirror Dockline's BigCommerce connector, stage by stage:

    import    GET /v2/orders (consignments with line items, keyset paging by min_id)
    map       (in memory)
    forward   per order: STOR temp name + RNFR/RNTO into /in; GET + PUT /v2/orders/{id} (Awaiting Shipment)
    shipment  list /out, RETR each shipment file, RNFR/RNTO into /out/archive
    post      per shipment: GET /v2/orders/{id}/shipments; POST one shipment per tracking number
    stock     list /out, RETR each inventory file, RNFR/RNTO into /out/archive
    push      GET /v3/catalog/products?sku:in=...; GET /v3/catalog/variants?sku= for each SKU not found;
              PUT /v3/inventory/adjustments/absolute

bench/overhead.py runs it and prints the store requests of both by route.
"""
from __future__ import annotations

import ftplib
import io
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from dockline.core.types import Address, WarehouseLine, WarehouseOrder
from dockline.platforms.bigcommerce.connector import carrier_codes
from dockline.sandbox.demo import CATALOG, SHIPPING_RULES
from dockline.sandbox.hotpath import StageCost
from dockline.warehouses.formats import format_class

LISTINGS = {sku: components or [(sku, 1)] for sku, _, _, components in CATALOG}
RULES = {method: (carrier, service) for method, carrier, service in SHIPPING_RULES}


@contextmanager
def _timed(stage: str, costs: list[StageCost]):
    counts: dict = {}
    wall, cpu = time.perf_counter(), time.process_time()
    yield counts
    costs.append(StageCost(stage, 0, time.perf_counter() - wall, time.process_time() - cpu, counts))


def _ftp(settings: dict) -> ftplib.FTP:
    ftp = ftplib.FTP()
    ftp.connect(settings["host"], int(settings["port"]), timeout=30)
    ftp.login(settings["username"], settings["password"])
    return ftp


def _take_files(ftp: ftplib.FTP, settings: dict, pattern) -> list[bytes]:
    """Every file in the outbox matching `pattern`: read, then moved to the archive."""
    found = []
    for path in sorted(ftp.nlst(settings["outbox"])):
        name = path.rsplit("/", 1)[-1]
        if not pattern.match(name):
            continue
        buffer = io.BytesIO()
        ftp.retrbinary(f"RETR {settings['outbox']}/{name}", buffer.write)
        ftp.rename(f"{settings['outbox']}/{name}", f"{settings['archive']}/{name}")
        found.append(buffer.getvalue())
    return found


def _split(items: list[tuple[int, int]], parts: int) -> list[list[tuple[int, int]]]:
    units = [pid for pid, qty in items for _ in range(qty)]
    parts = max(1, min(parts, len(units)))
    size, extra = divmod(len(units), parts)
    chunks, start = [], 0
    for n in range(parts):
        take = units[start:start + size + (1 if n < extra else 0)]
        start += len(take)
        chunks.append([(pid, take.count(pid)) for pid in dict.fromkeys(take)])
    return chunks


def run(description: dict, *, wait_shipped: Callable[[], None], wait_stock: Callable[[], None]) -> list[StageCost]:
    store, warehouse = description["store"], description["warehouse"]["settings"]
    fmt = format_class(description["warehouse"]["file_format"])({})
    http = httpx.Client(
        base_url=f"{store['api_base']}/stores/{store['credentials']['store_hash']}",
        headers={"X-Auth-Token": store["credentials"]["access_token"], "Accept": "application/json"}, timeout=30)
    costs: list[StageCost] = []
    try:
        with _timed("import", costs) as counts:
            raws, min_id = [], 0
            while True:
                rows = http.get("/v2/orders", params={
                    "include": "consignments.line_items", "consignment_structure": "object", "status_id": 11,
                    "min_id": min_id, "limit": 250, "page": 1}).json()
                raws.extend(rows)
                if len(rows) < 250:
                    break
                min_id = max(r["id"] for r in rows) + 1
            counts["fetched"] = len(raws)
        with _timed("map", costs):
            tickets = []
            for raw in raws:
                consignment = raw["consignments"]["shipping"][0]
                picks: dict[str, int] = {}
                for item in consignment["line_items"]:
                    for sku, qty in LISTINGS[item["sku"]]:
                        picks[sku] = picks.get(sku, 0) + qty * item["quantity"]
                carrier, service = RULES[consignment["shipping_method"]]
                name = f"{consignment.get('first_name', '')} {consignment.get('last_name', '')}".strip()
                address = Address(name=name, street1=consignment.get("street_1") or "", city=consignment.get("city") or "",
                                  state=consignment.get("state") or "", postal_code=consignment.get("zip") or "",
                                  country=(consignment.get("country_iso2") or "").upper())
                lines = [WarehouseLine(n, sku, qty) for n, (sku, qty) in enumerate(picks.items(), start=1)]
                tickets.append((raw, consignment, WarehouseOrder(str(raw["id"]), datetime.now(UTC), address, carrier,
                                                                  service, lines)))
        with _timed("forward", costs) as counts:
            ftp = _ftp(warehouse)
            for raw, _, ticket in tickets:
                name = fmt.order_filename(ticket.order_number, datetime.now(UTC))
                ftp.storbinary(f"STOR {warehouse['inbox']}/.{name}.tmp", io.BytesIO(fmt.render_orders([ticket])))
                ftp.rename(f"{warehouse['inbox']}/.{name}.tmp", f"{warehouse['inbox']}/{name}")
                if http.get(f"/v2/orders/{raw['id']}").json()["status_id"] == 11:
                    http.put(f"/v2/orders/{raw['id']}", json={"status_id": 9})
            ftp.quit()
            counts["sent"] = len(tickets)
        wait_shipped()
        by_number = {str(raw["id"]): (raw, consignment) for raw, consignment, _ in tickets}
        with _timed("shipment", costs) as counts:
            ftp = _ftp(warehouse)
            shipments = [s for data in _take_files(ftp, warehouse, fmt.shipment_pattern)
                         for s in fmt.parse_shipments(data).items]
            ftp.quit()
            counts["shipments"] = len(shipments)
        with _timed("post", costs) as counts:
            for shipment in shipments:
                raw, consignment = by_number[shipment.order_number]
                http.get(f"/v2/orders/{raw['id']}/shipments")
                items = [(item["id"], item["quantity"]) for item in consignment["line_items"]]
                provider, code = carrier_codes(shipment.carrier)
                for number, chunk in zip(shipment.tracking_numbers, _split(items, len(shipment.tracking_numbers)),
                                         strict=False):
                    http.post(f"/v2/orders/{raw['id']}/shipments", json={
                        "order_address_id": consignment["id"], "tracking_number": number,
                        "shipping_method": shipment.service, "shipping_provider": provider,
                        "tracking_carrier": code,
                        "items": [{"order_product_id": pid, "quantity": qty} for pid, qty in chunk]}).raise_for_status()
            counts["posted"] = len(shipments)
        wait_stock()
        with _timed("stock", costs) as counts:
            ftp = _ftp(warehouse)
            available: dict[str, int] = {}
            for data in _take_files(ftp, warehouse, fmt.inventory_pattern):
                available.update({level.sku: level.available for level in fmt.parse_inventory(data).items})
            ftp.quit()
            counts["skus"] = len(available)
        with _timed("push", costs) as counts:
            wanted = {sku: min(available.get(c, 0) // q for c, q in parts) for sku, parts in LISTINGS.items()}
            wanted.update({sku: qty for sku, qty in available.items() if sku not in wanted})
            products = http.get("/v3/catalog/products", params={"sku:in": ",".join(wanted),
                                                                "include": "variants"}).json()["data"]
            found = {p["sku"]: p for p in products}
            for sku in wanted:
                if sku not in found:
                    http.get("/v3/catalog/variants", params={"sku": sku})
            items = [{"location_id": 1, "product_id": found[sku]["id"], "quantity": qty}
                     for sku, qty in wanted.items() if sku in found and found[sku]["inventory_tracking"] == "product"]
            http.put("/v3/inventory/adjustments/absolute",
                     json={"reason": "floor", "items": items}).raise_for_status()
            counts["updated"] = len(items)
    finally:
        http.close()
    return costs
