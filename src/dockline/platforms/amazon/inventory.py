"""Stock to Amazon: merchant-fulfilled quantities (`fulfillment_availability`, channel DEFAULT).

A few SKUs go one `patchListingsItem` each (Listings Items API 2021-08-01, 5 per second); many
go as one JSON_LISTINGS_FEED (Feeds API 2021-06-30, listings feed schema v2): upload the
document, create the feed, wait for it, read the processing report. Either way a SKU Amazon
refuses is reported with Amazon's reason (PushResult.skipped) and the others are applied.
Both set the quantity (JSON Patch `replace`), so a repeated push changes nothing.
"""
from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from urllib.parse import quote

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import PushResult, StockUpdate
from dockline.platforms.amazon.client import AmazonClient

PRODUCT_TYPE = "PRODUCT"  # Amazon's product type for offer-only patches
FEED_TYPE = "JSON_LISTINGS_FEED"
CONTENT_TYPE = "application/json; charset=UTF-8"
FEED_POLL = 1.0  # seconds between looks at a feed in progress (getFeed allows 2 per second)
FEED_WAIT = 900.0  # seconds a feed may take before the push is given back to the engine


def patches(update: StockUpdate) -> list[dict]:
    return [{"op": "replace", "path": "/attributes/fulfillment_availability",
             "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": max(update.quantity, 0)}]}]


def _reasons(issues: list[dict]) -> str:
    errors = [i for i in issues or [] if i.get("severity") == "ERROR"] or list(issues or [])
    return "; ".join(f"{i.get('message') or i.get('code')}" + (f" ({i['code']})" if i.get("code") else "")
                     for i in errors) or "Amazon refused the quantity"


def push_each(client: AmazonClient, seller_id: str, marketplace: str, updates: list[StockUpdate]) -> PushResult:
    result = PushResult()
    for update in updates:
        path = f"/listings/2021-08-01/items/{quote(seller_id, safe='')}/{quote(update.sku, safe='')}"
        try:
            answer = client.request("patchListingsItem", "PATCH", path, params={"marketplaceIds": marketplace},
                                    json={"productType": PRODUCT_TYPE, "patches": patches(update)}) or {}
        except ConnectorError as exc:
            if exc.kind is not ErrorKind.FATAL:
                raise
            result.skipped.append((update.sku, exc.message))
            continue
        if answer.get("status") == "ACCEPTED":
            result.updated.append(update.sku)
        else:
            result.skipped.append((update.sku, _reasons(answer.get("issues"))))
    return result


def feed_document(seller_id: str, updates: list[StockUpdate]) -> dict:
    """The JSON_LISTINGS_FEED: one PATCH message per SKU, numbered from 1."""
    return {"header": {"sellerId": seller_id, "version": "2.0", "issueLocale": "en_US"},
            "messages": [{"messageId": n, "sku": u.sku, "operationType": "PATCH", "productType": PRODUCT_TYPE,
                          "patches": patches(u)} for n, u in enumerate(updates, start=1)]}


def push_feed(client: AmazonClient, seller_id: str, marketplace: str, updates: list[StockUpdate], *,
              sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic
              ) -> PushResult:
    """Send `updates` as one feed and read its processing report: issues name messages, i.e. SKUs."""
    document = client.request("createFeedDocument", "POST", "/feeds/2021-06-30/documents",
                              json={"contentType": CONTENT_TYPE}) or {}
    content = json.dumps(feed_document(seller_id, updates)).encode()
    client.upload_document(document["url"], content, CONTENT_TYPE)
    feed = client.request("createFeed", "POST", "/feeds/2021-06-30/feeds", json={
        "feedType": FEED_TYPE, "marketplaceIds": [marketplace], "inputFeedDocumentId": document["feedDocumentId"]})
    feed_id = (feed or {})["feedId"]
    deadline = monotonic() + FEED_WAIT
    while True:
        state = client.request("getFeed", "GET", f"/feeds/2021-06-30/feeds/{feed_id}") or {}
        status = state.get("processingStatus")
        if status in ("DONE", "FATAL", "CANCELLED"):
            break
        if monotonic() > deadline:
            raise ConnectorError(f"Amazon has not processed stock feed {feed_id} after {FEED_WAIT:.0f} s; Dockline "
                                 f"pushes again later.", ErrorKind.RETRYABLE)
        sleep(FEED_POLL)
    if status == "CANCELLED":
        raise ConnectorError(f"Amazon cancelled stock feed {feed_id}; Dockline pushes again later.",
                             ErrorKind.RETRYABLE)
    report = {}
    if state.get("resultFeedDocumentId"):
        link = client.request("getFeedDocument", "GET",
                              f"/feeds/2021-06-30/documents/{state['resultFeedDocumentId']}") or {}
        raw = client.fetch_document(link["url"])
        if link.get("compressionAlgorithm") == "GZIP":
            raw = gzip.decompress(raw)
        report = json.loads(raw or b"{}")
    if status == "FATAL":
        reason = _reasons(report.get("issues") or []) if report else "no processing report"
        raise ConnectorError(f"Amazon could not process stock feed {feed_id}: {reason}.", ErrorKind.FATAL)
    refused: dict[int, list[dict]] = {}
    for issue in report.get("issues") or []:
        if issue.get("severity") == "ERROR" and issue.get("messageId"):
            refused.setdefault(int(issue["messageId"]), []).append(issue)
    result = PushResult()
    for n, update in enumerate(updates, start=1):
        if n in refused:
            result.skipped.append((update.sku, _reasons(refused[n])))
        else:
            result.updated.append(update.sku)
    return result
