"""What the API answers and accepts: one schema per resource, shared by the routers."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import AwareDatetime


class ConnectionOut(Schema):
    id: int
    name: str
    merchant: str = Field(alias="merchant.name")
    store: str = Field(alias="store.name")
    platform: str = Field(alias="store.platform")
    warehouse: str = Field(alias="warehouse.name")
    enabled: bool
    inventory_mode: str
    store_auth_error: str
    warehouse_auth_error: str


class ConnectionChange(Schema):
    connection: ConnectionOut
    note: str = ""


class SyncIn(Schema):
    channel: str | None = Field(None, description="orders, shipments or inventory; empty for every channel")


class SyncOut(Schema):
    channels: int


class OrderOut(Schema):
    id: int
    connection_id: int
    number: str
    external_id: str
    status: str
    store_status: str
    placed_at: datetime
    customer_email: str
    error: str


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None = None


class LineOut(Schema):
    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    components: list[dict]


class ActivityOut(Schema):
    at: datetime
    level: str
    event: str
    actor_kind: str
    actor: str
    message: str


class PackageOut(Schema):
    tracking_number: str
    box_id: str
    weight: Decimal | None = None


class ShipmentOut(Schema):
    id: int
    order_id: int
    warehouse_shipment_id: str
    shipped_at: datetime
    carrier: str
    service: str
    posted_at: datetime | None = None
    store_shipment_id: str
    post_error: str
    packages: list[PackageOut]


class ShipmentPage(Schema):
    items: list[ShipmentOut]
    next_cursor: str | None = None


class OrderDetail(OrderOut):
    notes: str
    destinations: list[dict]
    lines: list[LineOut]
    shipments: list[ShipmentOut]
    activity: list[ActivityOut]


class AddressIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    company: str = Field("", max_length=200)
    street1: str = Field(..., min_length=1, max_length=200)
    street2: str = Field("", max_length=200)
    city: str = Field(..., min_length=1, max_length=100)
    state: str = Field("", max_length=100)
    postal_code: str = Field(..., min_length=1, max_length=20)
    country: str = Field(..., pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)


class LineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=100, pattern=r"\S")
    quantity: int = Field(..., ge=1, le=100_000)
    name: str = Field("", max_length=300)
    unit_price: Decimal = Field(Decimal("0"), ge=0, lt=Decimal("1e10"), decimal_places=2)


class OrderIn(Schema):
    connection: int
    number: str = Field(..., min_length=1, max_length=100, pattern=r"\S", description="the merchant's order number")
    ship_to: AddressIn
    shipping_method: str = Field(..., min_length=1, max_length=200)
    lines: list[LineIn] = Field(..., min_length=1, max_length=500)
    customer_email: str = Field("", max_length=254)
    notes: str = Field("", max_length=2000)
    placed_at: datetime | None = None


class HoldIn(Schema):
    duration: str | None = Field(None, pattern=r"^[0-9]{1,5} ?[A-Za-z]{1,7}$",
                                 description="how long: 30m, 2h or 3d (minutes, hours, days)")
    until: AwareDatetime | None = Field(None, description="hold until this time (with a time zone, e.g. ...Z)")


class HeldOut(Schema):
    order: OrderOut
    reason: str = Field(description="who or what holds it: a rule, the edit window, a person or a key")
    until: datetime | None = Field(None, description="when it goes on by itself; null: when someone releases it")


class AbandonedOut(Schema):
    order: OrderOut
    sent_at: datetime | None = None
    days: int = Field(description="whole days since it was last sent to the warehouse")


class AlertOut(Schema):
    id: int
    state: str
    condition: str
    connection_id: int | None = None
    title: str
    detail: str
    todo: str
    count: int
    first_seen: datetime
    last_seen: datetime
    acknowledged_at: datetime | None = None
    note: str
    closed_at: datetime | None = None
    closed_reason: str


class AlertPage(Schema):
    items: list[AlertOut]
    next_cursor: str | None = None


class AcknowledgeIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000, pattern=r"\S", description="what you are doing about it")


class StockOut(Schema):
    sku: str
    on_hand: int
    available: int
    facility: str
    as_of: datetime | None = None


class PushOut(Schema):
    store_sku: str
    quantity: int | None = None
    pushed_at: datetime | None = None
    skipped_reason: str


class ComponentIn(Schema):
    sku: str = Field(..., min_length=1, max_length=100, pattern=r"^\S+$")
    quantity: int = Field(1, ge=1, le=10_000)


class ListingIn(Schema):
    store_sku: str = Field(..., min_length=1, max_length=100, pattern=r"\S")
    components: list[ComponentIn] = Field(..., min_length=1, max_length=100)


class ListingChange(Schema):
    components: list[ComponentIn] = Field(..., min_length=1, max_length=100)


class ComponentOut(Schema):
    sku: str = Field(alias="warehouse_sku")
    quantity: int


class ListingOut(Schema):
    id: int
    store_sku: str
    components: list[ComponentOut]


class ImportOut(Schema):
    saved: int
    queued: int = Field(0, description="held orders that the new mappings let through")


class RuleIn(Schema):
    store_method: str = Field(..., min_length=1, max_length=200, pattern=r"\S")
    carrier: str = Field(..., min_length=1, max_length=40, pattern=r"\S")
    service: str = Field("", max_length=60)


class RuleOut(Schema):
    id: int
    store_method: str
    carrier: str
    service: str


class RunOut(Schema):
    id: int
    channel: str = Field(alias="channel.kind")
    started_at: datetime
    finished_at: datetime | None = None
    ok: bool | None = None
    counts: dict
    error: str
