"""Database queries on the hot path, pinned: 20 orders through import, map, forward, shipment, post,
stock and push (sandboxes on loopback, SQLite). The bounds sit about 20-25% above the counts measured
on 2026-12-01 (bench/overhead.py prints them); a stage that starts querying once per row more
than it did fails here. Recording shipments was 17.7 queries per order before its order lines
were written in one insert and its completeness read from memory (now 15.0); reading a stock
snapshot was 33 queries per file (one upsert per SKU) before its levels went in one statement (now 10)."""
from dockline.sandbox import hotpath

ORDERS = 20
# measured per order: import 5.1, map 3.9, forward 13.3, shipment 15.0, post 8.2
PER_ORDER = {"import": 6.5, "map": 5.0, "forward": 16.5, "shipment": 17.5, "post": 10.0}
PER_SNAPSHOT_FILE = {"stock": 13}  # measured 10 per inventory file of the demo's 6 warehouse SKUs
TOTAL = {"push": 65}  # measured 53 for the demo catalog's 7 store SKUs


def test_no_stage_of_the_hot_path_queries_the_database_more_per_order_than_today(world):
    for _ in range(ORDERS):
        world.place_order()
    files = []

    def shipped():
        assert world.wms.wait_for(lambda w: len(w.shipped_shipments) >= ORDERS, timeout=30)
        files.append(len(world.wms.inventory_files))

    def stock():
        assert world.wms.wait_for(lambda w: len(w.inventory_files) > files[0], timeout=30)

    costs = {c.stage: c for c in hotpath.run(world.connection, wait_shipped=shipped, wait_stock=stock)}
    assert costs["forward"].counts["sent"] == ORDERS and costs["post"].counts["posted"] == ORDERS
    over = []
    for stage, bound in PER_ORDER.items():
        if costs[stage].queries / ORDERS > bound:
            over.append(f"{stage}: {costs[stage].queries / ORDERS:.1f} queries per order (bound {bound})")
    for stage, bound in PER_SNAPSHOT_FILE.items():
        per_file = costs[stage].queries / max(1, costs[stage].counts["files"])
        if per_file > bound:
            over.append(f"{stage}: {per_file:.0f} queries per inventory file (bound {bound})")
    for stage, bound in TOTAL.items():
        if costs[stage].queries > bound:
            over.append(f"{stage}: {costs[stage].queries} queries (bound {bound})")
    assert not over, "more database queries than pinned: " + "; ".join(over)
