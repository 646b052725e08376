"""Canonical domain types: what every connector and file format speaks.

Times are timezone-aware UTC datetimes; quantities are whole units.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


@dataclass(frozen=True)
class Address:
    name: str = ""
    company: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Destination:
    """One ship-to address of a store order, with the shipping method chosen for it."""

    ref: str  # the store's id for this address (BigCommerce order_address_id)
    address: Address
    shipping_method: str = ""


@dataclass(frozen=True)
class OrderLine:
    line_id: str  # the store's id for this line (BigCommerce order_product_id)
    sku: str
    quantity: int
    name: str = ""
    unit_price: Decimal = Decimal("0")
    destination_ref: str = ""


@dataclass
class StoreOrder:
    """An order as a store reports it."""

    external_id: str
    number: str
    placed_at: datetime
    modified_at: datetime
    destinations: list[Destination]
    lines: list[OrderLine]
    customer_email: str = ""
    customer_name: str = ""  # the buyer (billing name) where the store says; else the ship-to name is shown
    notes: str = ""
    store_status: str = ""
    # The store says the order is cancelled (or declined, or its cancellation was requested): never send it,
    # and ask the warehouse to cancel it if it was sent. Each connector sets it from its platform's own signal.
    cancelled: bool = False
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WarehouseLine:
    line_no: int
    sku: str  # warehouse SKU
    quantity: int
    description: str = ""


@dataclass
class WarehouseOrder:
    """A pick ticket as sent to the warehouse: one per order destination."""

    order_number: str
    placed_at: datetime
    ship_to: Address
    carrier: str
    service: str
    lines: list[WarehouseLine]
    email: str = ""
    notes: str = ""
    facility: str = ""


@dataclass(frozen=True)
class Package:
    tracking_number: str
    weight: Decimal | None = None  # pounds
    length: Decimal | None = None  # inches
    width: Decimal | None = None
    height: Decimal | None = None
    box_id: str = ""


@dataclass(frozen=True)
class ShipmentLine:
    sku: str  # warehouse SKU
    quantity: int


@dataclass
class WarehouseShipment:
    """What a warehouse reports as shipped for one of its orders."""

    shipment_id: str
    order_number: str
    shipped_at: datetime
    carrier: str
    service: str
    packages: list[Package]
    lines: list[ShipmentLine]

    @property
    def tracking_numbers(self) -> list[str]:
        return [p.tracking_number for p in self.packages if p.tracking_number]


class CancelOutcome(StrEnum):
    """What a warehouse answers to a cancellation (or reports on its own)."""

    CANCELLED = "cancelled"  # nothing of it will ship
    TOO_LATE = "too_late"  # it had already shipped: its shipment flows as usual


@dataclass(frozen=True)
class CancelRequest:
    """Dockline asks the warehouse to cancel one of its orders (a warehouse order number)."""

    order_number: str
    requested_at: datetime
    reason: str = ""
    order: WarehouseOrder | None = None  # the pick ticket as sent, for formats that repeat it (X12 940)


@dataclass(frozen=True)
class CancelAnswer:
    """The warehouse's word on one order: cancelled, or too late because it shipped."""

    order_number: str
    outcome: CancelOutcome
    answered_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class StockLevel:
    sku: str  # warehouse SKU
    on_hand: int
    available: int
    facility: str = ""
    as_of: datetime | None = None


@dataclass(frozen=True)
class StoreShipmentLine:
    line_id: str  # the store's order line id
    quantity: int


@dataclass
class StoreShipment:
    """A shipment to post back to a store, in the store's own line ids."""

    order_external_id: str
    destination_ref: str
    lines: list[StoreShipmentLine]
    carrier: str
    service: str
    tracking_numbers: list[str]
    shipped_at: datetime
    packages: list[Package] = field(default_factory=list)
    reference: str = ""  # Dockline's idempotency key (warehouse shipment id)


@dataclass(frozen=True)
class StockUpdate:
    sku: str  # store SKU
    quantity: int


@dataclass
class PushResult:
    updated: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sku, reason)
    # A write went out without an answer before one got through: that earlier request may still be applied
    # later, over a newer quantity, so the updated SKUs are not known to hold what was pushed.
    in_doubt: bool = False
