"""Database queries on the hot path, pinned: 20 orders through import, map, forward, shipment, post,
stock and push (sandboxes on loopback, SQLite). The bounds sit about 20% above the counts measured
on 2026-12-01 (bench/overhead.py prints them); a stage that starts querying once per row more
than it did fails here. Recording shipments was 17.7 queries per order before its order lines
were written in one insert and its completeness read from memory (now 15.0); reading a stock
snapshot was 33 queries per file (one upsert per SKU) before its levels went in one statement (now 10).
The order rules, outbound events, bundles and cancellations that landed on 2026-12-01 first cost
import 7.1, forward 17.4 and post 10.2 per order (a rules query, an endpoints query per event, the
bundle's lines and dispatches re-read, the connection re-read per post); the rules and the endpoints are
now read once per run, and only an order that absorbed others reads its bundle: import 5.2, forward 12.5,
post 8.2 (before those features: 5.1, 13.3, 8.2). On 2026-12-02 forward fell to 8.45 (the dispatch written by an
update, then an insert only if none was there, instead of update_or_create's savepoints) and post to 7.25 (closing
reads the order's state and its unposted shipments in one query)."""
from dockline.sandbox import hotpath

ORDERS = 20
# measured per order: import 5.2, map 3.9, forward 8.45, shipment 15.0, post 7.25
PER_ORDER = {"import": 6.2, "map": 4.7, "forward": 10.2, "shipment": 17.5, "post": 8.7}
PER_SNAPSHOT_FILE = {"stock": 12}  # measured 10 per inventory file of the demo's 6 warehouse SKUs
TOTAL = {"push": 65}  # measured 56 for the demo catalog's 7 store SKUs (58 on 2026-12-01, 53 before its features)


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
