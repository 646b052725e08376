"""Listings of a connection: list, create, change, delete, and bulk import as CSV (`mapping/csv.py`)."""
from __future__ import annotations

from ninja import Router, Status

from dockline.api import scope
from dockline.api.problems import CsvRefused
from dockline.api.schemas import ImportOut, ListingChange, ListingIn, ListingOut
from dockline.connections.services import ActionRefused
from dockline.mapping import csv as listings_csv
from dockline.mapping import services
from dockline.orders import held

router = Router(tags=["listings"])


@router.get("/connections/{connection_id}/listings", response=list[ListingOut])
def list_listings(request, connection_id: int):
    return scope.connection(request.auth, connection_id).listings.prefetch_related("components")


@router.post("/connections/{connection_id}/listings/import", response=ImportOut,
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}})
def import_listings(request, connection_id: int):
    """The body is the CSV itself (store_sku,warehouse_sku,quantity); any bad row and nothing changes."""
    conn = scope.connection(request.auth, connection_id)
    result = listings_csv.import_listings(conn, request.body[:5_000_000])
    if result.errors:
        raise CsvRefused(result.errors)
    return {"saved": result.saved, "queued": held.release_held_orders(conn)["queued"]}


def _save(conn, store_sku: str, components) -> ListingOut:
    parts = [(c.sku, c.quantity) for c in components]
    if len({sku for sku, _ in parts}) != len(parts):
        raise ActionRefused("A warehouse SKU appears twice; give it once with its quantity.")
    listing = services.save_listing(conn, store_sku, parts)
    held.release_held_orders(conn)
    return listing


@router.post("/connections/{connection_id}/listings", response={201: ListingOut})
def create_listing(request, connection_id: int, body: ListingIn):
    conn = scope.connection(request.auth, connection_id)
    if conn.listings.filter(store_sku=body.store_sku.strip()).exists():
        raise ActionRefused(f"{body.store_sku.strip()} already has a listing; change it with PUT instead.")
    return Status(201, _save(conn, body.store_sku, body.components))


@router.put("/connections/{connection_id}/listings/{listing_id}", response=ListingOut)
def change_listing(request, connection_id: int, listing_id: int, body: ListingChange):
    listing = scope.listing(request.auth, connection_id, listing_id)
    return _save(listing.connection, listing.store_sku, body.components)


@router.delete("/connections/{connection_id}/listings/{listing_id}", response={204: None})
def delete_listing(request, connection_id: int, listing_id: int):
    listing = scope.listing(request.auth, connection_id, listing_id)
    services.delete_listing(listing.connection, listing)
    return Status(204, None)
