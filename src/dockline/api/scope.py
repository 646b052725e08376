"""What an API key sees beyond `web/scope.py`: every query here starts from it, so another organization's
object (or another merchant's, for a narrowed key) answers 404 as on the dashboard."""
from __future__ import annotations

from django.shortcuts import get_object_or_404

from dockline.alerts.models import Alert
from dockline.api.models import ApiKey
from dockline.inventory.models import PushedStock, StockLevel
from dockline.mapping.models import Listing, ShippingRule
from dockline.orders.models import Order
from dockline.shipments.models import Shipment
from dockline.sync.models import SyncRun
from dockline.web import scope


def connection(key: ApiKey, pk: int):
    return scope.connection(key, pk)


def order(key: ApiKey, pk: int) -> Order:
    return get_object_or_404(scope.orders(key).select_related("store", "connection"), pk=pk)


def shipments(key: ApiKey):
    return Shipment.objects.filter(order__in=scope.orders(key))


def stock(key: ApiKey, pk: int):
    return StockLevel.objects.filter(warehouse=connection(key, pk).warehouse_id)


def pushes(key: ApiKey, pk: int):
    return PushedStock.objects.filter(connection=connection(key, pk))


def listing(key: ApiKey, pk: int, listing_id: int) -> Listing:
    return get_object_or_404(Listing.objects.filter(connection=connection(key, pk)), pk=listing_id)


def rule(key: ApiKey, pk: int, rule_id: int) -> ShippingRule:
    return get_object_or_404(ShippingRule.objects.filter(connection=connection(key, pk)), pk=rule_id)


def runs(key: ApiKey):
    return SyncRun.objects.filter(channel__connection__in=scope.connections(key)).select_related("channel")


def alerts(key: ApiKey):
    """As `web/scope.py alerts` for a person: a key for every merchant sees what an administrator sees (alerts
    about no connection too); a narrowed key, those about its merchants' connections."""
    found = Alert.objects.filter(organization=key.organization)
    return found if key.all_merchants else found.filter(connection__in=scope.connections(key))


def alert(key: ApiKey, pk: int) -> Alert:
    return get_object_or_404(alerts(key), pk=pk)
