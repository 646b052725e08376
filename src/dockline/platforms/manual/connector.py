"""The "Manual" platform: a store whose orders come from the API or a CSV upload, not from a shop.

For merchants whose platform Dockline does not connect to yet. Its orders go through the same steps as
imported ones (mapping, the warehouse, shipments); only the ends differ: there is nothing to fetch, and a
shipment has no store to go to, so "posting" it only records it in Dockline (the order then closes),
where the API, the dashboard and outbound webhooks show it.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from dockline.core.types import StoreOrder, StoreShipment
from dockline.platforms.base import Capability, CheckReport, StoreConnector, register

PLATFORM = "manual"


@register
class ManualConnector(StoreConnector):
    platform = PLATFORM
    label = "Manual (API and CSV orders)"
    capabilities = frozenset({Capability.ORDERS, Capability.SHIPMENTS})

    def test_connection(self) -> CheckReport:
        report = CheckReport()
        report.add("Orders", True, "Orders arrive through the API or a CSV upload; there is no store to reach.")
        return report

    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        """Nothing to fetch: manual orders are stored when they are created."""
        return iter(())

    def post_shipment(self, shipment: StoreShipment) -> str:
        """Record only: there is no store. Idempotent: the id is Dockline's own shipment reference."""
        return f"dockline:{shipment.reference}"
