"""Warehouse stock in, store stock out.

Inventory files of a format with `inventory_is_snapshot` are state, not
events. A snapshot replaces the stock of each facility it lists when it is
newer than the last snapshot applied there (by its own as-of time, else by
when it arrived; of two as of the same time, by the order the warehouse wrote
them), so the same bytes twice are applied twice and an older snapshot arriving
late is recorded and ignored. A SKU a snapshot no longer
lists goes to 0, unless the warehouse's setting `absent_means_zero` is off.
Delta files (a format without snapshots) keep the checksum de-duplication of
`receive_files`.
"""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dockline.connections.models import BufferUnit, Connection
from dockline.core.types import StockLevel as Level
from dockline.core.types import StockUpdate
from dockline.inventory.models import AppliedSnapshot, PushedStock, StockLevel
from dockline.inventory.stock import Buffer, StockTerms, WarehouseTerm, compute_stock
from dockline.mapping.models import Listing
from dockline.orders.inflight import units_not_sent, units_sent_since
from dockline.orders.models import OrderLine
from dockline.platforms.base import StoreConnector
from dockline.sync.scheduler import ensure_lease
from dockline.warehouses.formats.base import FileFormat, Parsed
from dockline.warehouses.models import ExchangeKind, ExchangeRecord, Warehouse
from dockline.warehouses.services import Handled, receive_files, written_order
from dockline.warehouses.transports.base import Transport

ABSENT_MEANS_ZERO = "absent_means_zero"  # warehouse setting: a SKU missing from a snapshot is out of stock
SHOWN_SKUS = 10  # SKUs named in a record's note before "and N more"


def absent_means_zero(warehouse: Warehouse) -> bool:
    """Does a SKU missing from this warehouse's snapshot mean 0 in stock? (On unless turned off.)"""
    return bool((warehouse.settings or {}).get(ABSENT_MEANS_ZERO, True))


def pull_inventory(warehouse: Warehouse, transport: Transport, fmt: FileFormat) -> dict:
    snapshots = fmt.inventory_is_snapshot
    zero_absent = absent_means_zero(warehouse)

    def handle(data: bytes, record: ExchangeRecord) -> Handled:
        parsed = fmt.parse_inventory(data)
        if snapshots:
            return apply_snapshot(warehouse, parsed, record, absent_means_zero=zero_absent)
        _store_levels(warehouse, parsed.items, record.created_at)
        return Handled(keys=[lv.sku for lv in parsed.items], errors=list(parsed.errors))

    return receive_files(warehouse, transport, ExchangeKind.INVENTORY, fmt.inventory_pattern, handle, dedupe=not snapshots)


def apply_snapshot(warehouse: Warehouse, parsed: Parsed[Level], record: ExchangeRecord, *,
                   absent_means_zero: bool) -> Handled:
    """Apply one snapshot file, facility by facility; runs inside the file's transaction.

    Each facility's snapshot time is the newest `as_of` among its SKUs, else
    the file's arrival. A facility whose last applied snapshot is newer keeps
    its stock, and so does one whose last snapshot is as of the same time and
    was written after this file (a file read late: partners' times are often
    to the second or the minute). When the file has unreadable rows, the SKUs
    it does not list keep their stock (an unreadable row may be one of them).
    """
    written = written_order(record.remote_modified, record.filename)
    handled = Handled(keys=[lv.sku for lv in parsed.items], errors=list(parsed.errors))
    by_facility: dict[str, list[Level]] = {}
    for level in parsed.items:
        by_facility.setdefault(level.facility, []).append(level)
    notes: list[str] = []
    applied = 0
    for facility, levels in by_facility.items():
        where = f" for facility {facility}" if facility else ""
        stamps = [_utc(lv.as_of) for lv in levels if lv.as_of is not None]
        as_of = max(stamps) if stamps else record.created_at
        last = AppliedSnapshot.objects.select_for_update().filter(warehouse=warehouse, facility=facility).first()
        if last is not None and as_of < last.as_of:
            notes.append(f"{record.filename}: this stock snapshot{where} is as of {_show(as_of)}, older than the one "
                         f"already applied ({last.filename}, as of {_show(last.as_of)}); it was ignored.")
            continue
        if last is not None and as_of == last.as_of and written < written_order(last.modified, last.filename):
            notes.append(f"{record.filename}: this stock snapshot{where} is as of {_show(as_of)}, the same time as the "
                         f"one already applied ({last.filename}), and the warehouse wrote it first; it was ignored.")
            continue
        _store_levels(warehouse, levels, as_of)
        if absent_means_zero and parsed.errors:
            notes.append(f"{record.filename}: SKUs missing from it{where} kept their stock, because some rows "
                         "could not be read.")
        elif absent_means_zero:
            zeroed = _zero_absent(warehouse, facility, {lv.sku for lv in levels}, as_of)
            if zeroed:
                notes.append(f"{record.filename}: no longer listed{where}, set to 0: {_some(zeroed)}.")
        AppliedSnapshot.objects.update_or_create(
            warehouse=warehouse, facility=facility,
            defaults={"as_of": as_of, "exchange": record, "filename": record.filename,
                      "modified": record.remote_modified},
        )
        applied += 1
    if not by_facility and not parsed.errors:
        notes.append(f"{record.filename}: the stock snapshot lists no SKU; stock was left as it was.")
    handled.note = "\n".join(notes)
    handled.ignored = bool(by_facility) and not applied
    return handled


def _store_levels(warehouse: Warehouse, levels: list[Level], as_of: datetime) -> None:
    """Insert or update each SKU's level: one upsert per 500 SKUs, not a query per SKU (a repeated SKU: the last wins)."""
    rows = {
        level.sku: StockLevel(warehouse=warehouse, sku=level.sku, on_hand=level.on_hand, available=level.available,
                              facility=level.facility, as_of=level.as_of or as_of)
        for level in levels
    }
    StockLevel.objects.bulk_create(
        rows.values(), batch_size=500, update_conflicts=True, unique_fields=["warehouse", "sku"],
        update_fields=["on_hand", "available", "facility", "as_of", "updated_at"],
    )


def _zero_absent(warehouse: Warehouse, facility: str, listed: set[str], as_of: datetime) -> list[str]:
    """Set to 0 the facility's SKUs a snapshot does not list; returns their SKUs."""
    stale = [(pk, sku) for pk, sku in StockLevel.objects.filter(warehouse=warehouse, facility=facility)
             .exclude(available=0, on_hand=0).values_list("pk", "sku") if sku not in listed]
    pks = [pk for pk, _ in stale]
    now = timezone.now()
    for start in range(0, len(pks), 500):  # bounded IN lists
        StockLevel.objects.filter(pk__in=pks[start:start + 500]).update(
            available=0, on_hand=0, as_of=as_of, updated_at=now)
    return sorted(sku for _, sku in stale)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _show(at: datetime) -> str:
    return f"{_utc(at):%Y-%m-%d %H:%M:%S} UTC"


def _some(skus: list[str]) -> str:
    more = len(skus) - SHOWN_SKUS
    return ", ".join(skus[:SHOWN_SKUS]) + (f" and {more} more" if more > 0 else "")


def store_quantities(connection: Connection) -> tuple[dict[str, int], dict[str, str]]:
    """Quantities to show in the store by store SKU, and the store SKUs that cannot be computed (with why)."""
    terms, unknown = stock_terms(connection)
    return {sku: t.quantity for sku, t in terms.items()}, unknown


def stock_terms(connection: Connection) -> tuple[dict[str, StockTerms], dict[str, str]]:
    """Each store SKU's calculation (`inventory/stock.py`), and the store SKUs that cannot be computed (with why).

    A listing's units at a warehouse are how many whole units its components make there; a warehouse
    SKU no listing claims is offered to the store under its own SKU. Every warehouse that serves the
    store adds its share: what it last reported, less what was sent to it after that count. The units of
    orders not sent to any warehouse yet are taken from the sum.
    """
    warehouses = connection.stock_warehouses()
    counts: list[tuple[Warehouse, dict[str, StockLevel], dict[str, int]]] = []
    for warehouse in warehouses:
        levels = {s.sku: s for s in StockLevel.objects.filter(warehouse=warehouse)}
        sent = units_sent_since(warehouse, {sku: lv.as_of or lv.updated_at for sku, lv in levels.items()})
        counts.append((warehouse, levels, sent))
    reported = {sku for _, levels, _ in counts for sku in levels}
    default = Buffer(connection.stock_buffer, connection.stock_buffer_unit == BufferUnit.PERCENT, "connection")
    listings = list(Listing.objects.filter(connection=connection).prefetch_related("components"))
    components = {lst.store_sku: [(c.warehouse_sku, c.quantity) for c in lst.components.all()] for lst in listings}
    not_sent = units_not_sent(connection, lambda store_sku: components.get(store_sku) or [(store_sku, 1)])
    terms: dict[str, StockTerms] = {}
    unknown: dict[str, str] = {}
    who = "the warehouse has" if len(warehouses) == 1 else "no warehouse has"
    for listing in listings:
        comps = components[listing.store_sku]
        missing = [sku for sku, _ in comps if sku not in reported]
        if missing or not comps:
            unknown[listing.store_sku] = f"{who} not reported SKU {', '.join(missing) or '(none)'}"
            continue
        buffer = default if listing.stock_buffer is None else Buffer(
            listing.stock_buffer, listing.stock_buffer_unit == BufferUnit.PERCENT, "listing")
        terms[listing.store_sku] = compute_stock(_shares(counts, comps), buffer, connection.stock_minimum,
                                                 _store_units(not_sent, comps))
    for sku in sorted(reported):
        if sku not in terms and sku not in unknown:
            terms[sku] = compute_stock(_shares(counts, [(sku, 1)]), default, connection.stock_minimum,
                                       not_sent.get(sku, 0))
    return terms, unknown


def _store_units(units: dict[str, int], comps: list[tuple[str, int]]) -> int:
    """Store units of a listing that warehouse SKU `units` take away: as many as its most-taken component
    makes, rounded up (a unit any of its components is short of cannot be offered)."""
    return max((math.ceil(units.get(sku, 0) / per) for sku, per in comps), default=0)


def _shares(counts: list[tuple[Warehouse, dict[str, StockLevel], dict[str, int]]],
            comps: list[tuple[str, int]]) -> list[WarehouseTerm]:
    """Each warehouse's term for a store SKU made of `comps`, in store units (warehouses that report none of them add nothing)."""
    shares = []
    for warehouse, levels, sent in counts:
        if not any(sku in levels for sku, _ in comps):
            continue
        have = {sku: max(levels[sku].available, 0) if sku in levels else 0 for sku, _ in comps}
        available = min(have[sku] // per for sku, per in comps)
        net = min(max(have[sku] - sent.get(sku, 0), 0) // per for sku, per in comps)
        stamps = [levels[sku].as_of or levels[sku].updated_at for sku, _ in comps if sku in levels]
        shares.append(WarehouseTerm(warehouse.name, available, available - net, min(stamps)))
    return shares


def push_inventory(connection: Connection, connector: StoreConnector, *, full: bool = False) -> dict:
    """Write available quantities to the store: only changed ones (smart) or all (full)."""
    quantities, _ = store_quantities(connection)
    last = {p.store_sku: p for p in PushedStock.objects.filter(connection=connection)}
    sold = _sold_since_pushed(connection, last)
    updates = [
        StockUpdate(sku, qty) for sku, qty in sorted(quantities.items())
        if full or sku not in last or last[sku].quantity != qty or sku in sold
    ]
    if not updates:
        return {"updated": 0, "skipped": 0}
    ensure_lease()
    wanted = {u.sku: u.quantity for u in updates}
    started, stale = timezone.now(), timedelta(seconds=settings.STALE_WRITE_SECONDS)
    until = started + stale
    overlapped = _mark_in_doubt(connection, wanted, last, started, until)
    result = connector.push_stock(updates)
    now = timezone.now()
    with transaction.atomic():
        marks = dict(PushedStock.objects.select_for_update().filter(connection=connection, store_sku__in=result.updated)
                     .values_list("store_sku", "doubt_until"))
        for sku in result.updated:
            if marks.get(sku) != until:  # another push marked or recorded it since this one marked it
                overlapped[sku] = max(marks.get(sku) or until, until)
            doubt_until = max(filter(None, [overlapped.get(sku), now + stale if result.in_doubt else None]),
                              default=None)
            PushedStock.objects.update_or_create(
                connection=connection, store_sku=sku,
                defaults={"quantity": None if doubt_until else wanted[sku], "pushed_at": started, "skipped_reason": "",
                          "doubt_until": doubt_until},
            )
        for sku, reason in result.skipped:
            PushedStock.objects.update_or_create(
                connection=connection, store_sku=sku,
                defaults={"quantity": wanted[sku], "skipped_reason": reason, "doubt_until": None},
            )
    return {"updated": len(result.updated), "skipped": len(result.skipped)}


def _sold_since_pushed(connection: Connection, last: dict[str, PushedStock]) -> set[str]:
    """Store SKUs in orders imported after their last push began: the store lowered its own quantity for the
    sale, so what Dockline last pushed is no longer what the store shows, even when the quantity Dockline
    computes returns to it. (A store that does not lower stock on a sale is only sent the same quantity again.)"""
    pushed = {sku: p.pushed_at for sku, p in last.items() if p.pushed_at is not None}
    if not pushed:
        return set()
    lines = (OrderLine.objects.filter(order__connection=connection, order__created_at__gt=min(pushed.values()))
             .values_list("sku", "order__created_at"))
    return {sku for sku, imported in lines if sku in pushed and imported > pushed[sku]}


def _mark_in_doubt(connection: Connection, wanted: dict[str, int], last: dict[str, PushedStock],
                   started: datetime, until: datetime) -> dict[str, datetime]:
    """Before a push: its SKUs' quantities at the store are in doubt until it is confirmed, and until `until`
    if the run dies meanwhile (a request of it the store sits on may still land, over a later push).

    So a push whose answer was lost, or whose job died, is sent again even if the quantity returns to the one
    recorded, and not confirmed before a request the store sat on can no longer land (STALE_WRITE_SECONDS).

    Returns the SKUs another push had left in doubt past this one's start, with until when both may land: a
    push overlapping this one (a worker whose lease ran out meanwhile) may land after it. Read as the marks
    are set, not from `last`: both pushes may have read `last` before either marked it. Such a push may also
    have recorded a SKU new to `last`.
    """
    with transaction.atomic():
        PushedStock.objects.bulk_create([PushedStock(connection=connection, store_sku=sku) for sku in wanted
                                         if sku not in last], ignore_conflicts=True)
        marked = PushedStock.objects.select_for_update().filter(connection=connection, store_sku__in=wanted)
        live = {sku: max(doubt, until) for sku, doubt in marked.values_list("store_sku", "doubt_until")
                if doubt is not None and doubt > started}
        marked.update(quantity=None, doubt_until=until)
    return live
