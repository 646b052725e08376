"""Listings (with CSV import/export), shipping rules, and what needs mapping."""
from __future__ import annotations

from difflib import SequenceMatcher

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.connections.models import BufferUnit
from dockline.mapping import csv as listings_csv
from dockline.mapping import services
from dockline.orders import held
from dockline.web import scope
from dockline.web.forms import ListingBufferForm
from dockline.web.ids import parse_id


def _managed(request, pk):
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user))
    return conn


def _released(request, conn, what: str) -> None:
    counts = held.release_held_orders(conn)
    note = f" {counts['queued']} held order(s) are queued for the warehouse." if counts["queued"] else ""
    messages.success(request, f"{what}.{note}")


@login_required
def listings(request, pk: int):
    conn = scope.connection(request.user, pk)
    if request.method == "POST":
        _managed(request, pk)
        try:
            components = services.parse_components(request.POST.get("components", ""))
            listing = services.save_listing(conn, request.POST.get("store_sku", ""), components)
            _released(request, conn, f"Listing {listing.store_sku} saved")
        except ValueError as exc:
            messages.error(request, str(exc))
        return redirect("listings", pk=pk)
    rows = conn.listings.prefetch_related("components")
    return render(request, "web/listings.html", {
        "connection": conn, "listings": rows, "can_manage": permissions.can_manage_connections(request.user),
        "buffer_units": BufferUnit.choices})


@require_POST
@login_required
def listing_delete(request, pk: int, listing_id: int):
    conn = _managed(request, pk)
    try:
        sku = services.delete_listing(conn, get_object_or_404(conn.listings, pk=listing_id))
    except services.ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Listing {sku} deleted.")
    return redirect("listings", pk=pk)


@require_POST
@login_required
def listing_buffer(request, pk: int, listing_id: int):
    """Set or clear a listing's own stock buffer."""
    conn = _managed(request, pk)
    listing = get_object_or_404(conn.listings, pk=listing_id)
    form = ListingBufferForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"{listing.store_sku}: {message}")
        return redirect("listings", pk=pk)
    amount = form.cleaned_data["stock_buffer"]
    services.set_listing_buffer(listing, amount, form.cleaned_data["stock_buffer_unit"])
    messages.success(request, f"Listing {listing.store_sku}: " + (
        f"holds back {amount} {form.cleaned_data['stock_buffer_unit']}." if amount is not None
        else "the connection's buffer applies."))
    return redirect("listings", pk=pk)


@login_required
def listings_export(request, pk: int):
    conn = scope.connection(request.user, pk)
    response = HttpResponse(listings_csv.export_listings(conn), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="listings-{conn.pk}.csv"'
    return response


@require_POST
@login_required
def listings_import(request, pk: int):
    conn = _managed(request, pk)
    upload = request.FILES.get("file")
    if not upload:
        messages.error(request, "Choose a CSV file to import.")
        return redirect("listings", pk=pk)
    result = listings_csv.import_listings(conn, upload.read(5_000_001)[:5_000_000])
    if result.errors:
        messages.error(request, "Nothing was imported: " + " ".join(result.errors[:10]))
    else:
        _released(request, conn, f"{result.saved} listing(s) imported")
    return redirect("listings", pk=pk)


@login_required
def shipping_rules(request, pk: int):
    conn = scope.connection(request.user, pk)
    if request.method == "POST":
        _managed(request, pk)
        method = request.POST.get("store_method", "").strip()
        try:
            if not method:
                raise ValueError("Type the shipping method as the store shows it (or * for every method).")
            services.save_shipping_rule(conn, method, request.POST.get("carrier", ""), request.POST.get("service", ""))
            _released(request, conn, f"Shipping rule for '{method}' saved")
        except ValueError as exc:
            messages.error(request, str(exc))
        return redirect("shipping", pk=pk)
    return render(request, "web/shipping.html", {
        "connection": conn, "rules": conn.shipping_rules.all(),
        "can_manage": permissions.can_manage_connections(request.user)})


@require_POST
@login_required
def shipping_delete(request, pk: int, rule_id: int):
    conn = _managed(request, pk)
    try:
        method = services.delete_shipping_rule(conn, get_object_or_404(conn.shipping_rules, pk=rule_id))
    except services.ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Shipping rule for '{method}' deleted.")
    return redirect("shipping", pk=pk)


@login_required
def needs_mapping(request):
    conns = scope.connections(request.user).select_related("store", "merchant", "warehouse")
    if request.method == "POST":
        conn = _managed(request, parse_id(request.POST.get("connection"), "connection"))
        kind, value = request.POST.get("kind"), request.POST.get("value", "")
        try:
            if kind == "sku":
                services.save_listing(conn, value, services.parse_components(request.POST.get("components", "")))
                _released(request, conn, f"SKU {value} mapped")
            elif kind == "shipping":
                services.save_shipping_rule(conn, value, request.POST.get("carrier", ""), request.POST.get("service", ""))
                _released(request, conn, f"Shipping method '{value}' mapped")
        except ValueError as exc:
            messages.error(request, f"{value}: {exc}")
        return redirect("needs_mapping")
    items = held.needs_mapping(conns)
    unlisted = {c.pk: services.unlisted_warehouse_skus(c) for c in {i.connection for i in items if i.kind == "sku"}}
    rows = [(item, _likeliest_first(item.value, unlisted[item.connection.pk]) if item.kind == "sku" else [])
            for item in items]
    return render(request, "web/needs_mapping.html", {
        "rows": rows, "can_manage": permissions.can_manage_connections(request.user)})


def _likeliest_first(store_sku: str, warehouse_skus: list[str]) -> list[str]:
    """Warehouse SKUs ordered by how much they look like the store SKU (ACME-HAT: HAT-SUN-01 first)."""
    return sorted(warehouse_skus, key=lambda sku: -SequenceMatcher(None, store_sku.upper(), sku.upper()).ratio())
