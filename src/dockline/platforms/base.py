"""The store connector protocol and the registry of platforms.

A connector is built from a store's decrypted credentials and its platform
settings. It never knows whether it talks to the real platform or a sandbox:
only the base URL differs.
"""
from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import ClassVar, Protocol

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


class StoreConnector(Protocol):
    platform: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    credential_fields: ClassVar[tuple[CredentialField, ...]]
    settings_fields: ClassVar[tuple[CredentialField, ...]]

    # Set by Dockline after construction: a connector whose platform rotates tokens
    # calls it with the complete new credentials, which are stored encrypted at once.
    save_credentials: Callable[[dict], None]
    # Set by Dockline: the credentials as stored now (another process may have rotated them).
    load_credentials: Callable[[], dict]
    # Set by Dockline before fetch_orders: the platform's own part of the orders channel cursor (JSON);
    # what the connector leaves in it is saved with the cursor after a complete import.
    order_cursor: dict

    def __init__(self, credentials: dict, settings: dict) -> None: ...

    def test_connection(self) -> CheckReport: ...

    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Orders ready to fulfil, modified at or after `since` (all if None), oldest first."""

    def acknowledge(self, orders: Iterable[StoreOrder]) -> None:
        """Tell the store these orders are safely stored (no-op where the platform has no such step)."""

    def mark_forwarded(self, order: StoreOrder | str) -> None:
        """Tell the store the order reached the warehouse (no-op where not configured)."""

    def post_shipment(self, shipment: StoreShipment) -> str:
        """Create the shipment in the store unless it is already there; returns the store's shipment id."""

    def push_stock(self, updates: list[StockUpdate]) -> PushResult: ...

    def close(self) -> None: ...


_REGISTRY: dict[str, type[StoreConnector]] = {}


def register(cls: type[StoreConnector]) -> type[StoreConnector]:
    _REGISTRY[cls.platform] = cls
    return cls


def connector_class(platform: str) -> type[StoreConnector]:
    _load_builtin()
    try:
        return _REGISTRY[platform]
    except KeyError:
        raise KeyError(f"unknown store platform {platform!r}") from None


def platforms() -> dict[str, type[StoreConnector]]:
    _load_builtin()
    return dict(sorted(_REGISTRY.items()))


@cache
def _load_builtin() -> None:
    """Import every connector package under dockline.platforms (once); each registers itself."""
    import dockline.platforms as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg:
            importlib.import_module(f"{package.__name__}.{module.name}")
