"""The store connector base class, the registry of platforms, and what connectors share.

A connector is built from a store's decrypted credentials and its platform
settings. It never knows whether it talks to the real platform or a sandbox:
only the base URL differs.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.plugins import Registry
from dockline.core.types import PushResult, StockUpdate, StoreOrder, StoreShipment


class Capability(enum.StrEnum):
    ORDERS = "orders"
    SHIPMENTS = "shipments"
    INVENTORY = "inventory"
    WEBHOOKS = "webhooks"


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""
    default: str = ""


@dataclass(frozen=True)
class CheckStep:
    """One step of a Test Connection: what was checked, and how it went."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class CheckReport:
    steps: list[CheckStep] = field(default_factory=list)
    # What a working connection revealed to choose from, by settings field: [(value, label)].
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.steps.append(CheckStep(name, ok, detail))
        return ok


class StoreConnector:
    """The base class of every store connector: fill in the required methods, override the hooks you need.

    Required: `test_connection` and `fetch_orders`; `post_shipment` when `capabilities` has
    SHIPMENTS, `push_stock` when it has INVENTORY. Every other method is an optional hook whose
    default does what the engine expects of a platform without that ability. A subclass
    registers itself with `@register`.
    """

    platform: ClassVar[str]  # the registry key, stored on each Store
    label: ClassVar[str]  # the platform's name as merchants know it
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.ORDERS})
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()  # typed into the wizard, stored encrypted
    settings_fields: ClassVar[tuple[CredentialField, ...]] = ()  # typed into the wizard, stored plain

    # Set by Dockline after construction: a connector whose platform rotates tokens
    # calls it with the complete new credentials, which are stored encrypted at once.
    save_credentials: Callable[[dict], None]
    # Set by Dockline: the credentials as stored now (another process may have rotated them).
    load_credentials: Callable[[], dict]

    def __init__(self, credentials: dict, settings: dict) -> None:
        """Built from the store's decrypted credentials and its platform settings; talks to no one yet."""

    # ------------------------------------------------------------ required
    def test_connection(self) -> CheckReport:
        """Check each thing the connection needs (reach, log in, permissions), one step of the report each."""
        raise NotImplementedError(f"{type(self).__name__} must implement test_connection")

    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Orders ready to fulfil, modified at or after `since` (all if None), oldest first."""
        raise NotImplementedError(f"{type(self).__name__} must implement fetch_orders")

    def post_shipment(self, shipment: StoreShipment) -> str:
        """Create the shipment in the store unless it is already there; returns the store's shipment id.

        Called only when `capabilities` has SHIPMENTS; the default refuses for good (FATAL)."""
        raise ConnectorError(f"{self.label} cannot receive tracking or fulfillment status; Dockline keeps it.",
                             ErrorKind.FATAL)

    def push_stock(self, updates: list[StockUpdate]) -> PushResult:
        """Set the store's available quantities; idempotent (each call sets, never adds).

        The default writes nothing and reports every SKU skipped, saying why."""
        reason = f"{self.label} takes no stock updates from Dockline"
        return PushResult(skipped=[(u.sku, reason) for u in updates])

    # ------------------------------------------------------------ optional hooks
    @property
    def order_cursor(self) -> dict:
        """The platform's own part of the orders channel cursor (JSON), set by Dockline before
        `fetch_orders`; what the connector leaves in it is saved with the cursor after a complete
        import. Empty until set."""
        return self.__dict__.setdefault("_order_cursor", {})

    @order_cursor.setter
    def order_cursor(self, value: dict) -> None:
        self.__dict__["_order_cursor"] = value

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        """Tell the store these orders are safely stored. Default: nothing (the platform has no such step)."""

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """Tell the store the order reached the warehouse. Default: nothing."""

    def cancel_order(self, external_id: str) -> bool:
        """Tell the store an order was cancelled at the warehouse or by a person in Dockline.

        True when the store now shows it cancelled. It must be idempotent (read the order's status
        first; an order already cancelled is left as it is). Default: False, the platform offers
        no such write, and the merchant is asked in the order's activity to cancel it in the store.
        """
        return False

    def on_enable(self, connection, public_url: str) -> str:
        """The connection is being enabled: register webhooks that reach `public_url`.

        Returns what the person should know about webhooks: "" when they are on or the platform has
        none (the default), else why they are off (the engine adds that polling brings orders)."""
        return ""

    def on_disable(self, connection, public_url: str) -> None:
        """The connection was disabled: remove its webhooks. A ConnectorError is logged, not raised
        to the person (the connection is off either way). Default: nothing."""

    @classmethod
    def webhook_wants_import(cls, payload: dict, settings: dict) -> bool:
        """Whether a verified webhook delivery can bring an order to import. Default: yes."""
        return True

    @classmethod
    def checklist(cls, connection) -> list[dict]:
        """The platform's own items for the connection page's setup checklist
        ({"label", "ok": True/False/None, "detail", "link"}). Default: none."""
        return []

    def reauthorization_warning(self) -> str | None:
        """What to tell the merchant when a credential the platform dates ends soon (alerts read it);
        None when it does not, or the platform does not say when (the default)."""
        return None

    def close(self) -> None:
        """Release connections and clients. Default: nothing to release."""


REGISTRY: Registry[StoreConnector] = Registry(
    "store platform", StoreConnector, key="platform", package="dockline.platforms")
register = REGISTRY.register  # class decorator: @register above a StoreConnector subclass


def connector_class(platform: str) -> type[StoreConnector]:
    return REGISTRY.get(platform)


def platforms() -> dict[str, type[StoreConnector]]:
    """Every store platform, ordered by key."""
    return REGISTRY.all()


def parse_time(value) -> datetime | None:
    """A platform's ISO 8601 time as aware UTC (without an offset it is UTC); None when absent or unreadable."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
