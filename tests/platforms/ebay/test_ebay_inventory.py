"""Stock to eBay: bulkUpdatePriceQuantity in batches of 25, each SKU's own status read back, and listings
the Inventory API cannot change reported as not synced, with why."""
from __future__ import annotations

import json

from dockline.core.types import StockUpdate
from dockline.platforms.ebay.mapping import NOT_INVENTORY_API


def test_sixty_skus_go_in_calls_of_at_most_25_and_all_are_set(sandbox, connector, recorder, contracts):
    skus = [f"SKU-{n:02d}" for n in range(60)]
    for sku in skus:
        sandbox.store.add_item(sku, sku, 0)
    rec = recorder(connector)
    result = connector.push_stock([StockUpdate(sku, n) for n, sku in enumerate(skus)])
    assert result.updated == skus and result.skipped == []
    sizes = [len(json.loads(rq.content)["requests"]) for rq, _ in rec.pairs]
    assert sizes == [25, 25, 10]
    assert [sandbox.store.inventory_level(sku) for sku in skus] == list(range(60))
    for request, response in rec.pairs:
        contracts.validate(request, response)


def test_per_sku_refusals_are_skipped_with_ebays_message_and_the_rest_are_set(sandbox, connector, recorder,
                                                                             contracts):
    sandbox.store.add_item("MUG", "Camp Mug", 1)
    sandbox.store.add_item("LAMP", "Lamp", 5, auction=3)  # three units are in running auctions
    sandbox.store.add_legacy_listing("OLD-HAT", 4)  # listed in Seller Hub, not through the Inventory API
    rec = recorder(connector)
    result = connector.push_stock([StockUpdate("MUG", 7), StockUpdate("LAMP", 2), StockUpdate("OLD-HAT", 9)])
    assert result.updated == ["MUG"]
    reasons = dict(result.skipped)
    assert set(reasons) == {"LAMP", "OLD-HAT"}
    assert reasons["LAMP"].startswith("eBay refused the quantity: shipToLocationAvailability quantity value should "
                                      "be greater than or equal to auction allocation")
    assert reasons["OLD-HAT"] == NOT_INVENTORY_API and "Migrate the listing" in reasons["OLD-HAT"]
    assert sandbox.store.inventory_level("MUG") == 7 and sandbox.store.inventory_level("LAMP") == 5
    assert sandbox.store.legacy["OLD-HAT"] == 4  # untouched
    [(request, response)] = rec.pairs
    assert response.status_code == 207
    contracts.validate(request, response)


def test_the_same_sku_twice_in_one_push_is_sent_once_with_the_last_quantity(sandbox, connector, recorder):
    sandbox.store.add_item("MUG", "Camp Mug", 1)
    rec = recorder(connector)
    result = connector.push_stock([StockUpdate("MUG", 3), StockUpdate("MUG", 5), StockUpdate("MUG", -2)])
    assert result.updated == ["MUG"] and sandbox.store.inventory_level("MUG") == 0
    assert rec.bodies("POST", "/bulk_update_price_quantity") == [
        {"requests": [{"sku": "MUG", "shipToLocationAvailability": {"quantity": 0}}]}]
