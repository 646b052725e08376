"""What the signed-in user (or an API key) may see: every query in the web layer and the API starts here
(another organization's object answers 404)."""
from __future__ import annotations

from django.shortcuts import get_object_or_404

from dockline.accounts.permissions import membership
from dockline.alerts.models import Alert, AlertPolicy, Endpoint
from dockline.api.models import ApiKey
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order
from dockline.rules.models import Rule
from dockline.warehouses.models import Warehouse


def viewer(who):
    """The user's membership, or the API key itself: both name the organization and the visible merchants."""
    return who if isinstance(who, ApiKey) else membership(who)


def merchants(user):
    return viewer(user).visible_merchants()


def connections(user):
    m = viewer(user)
    return Connection.objects.filter(organization=m.organization, merchant__in=m.visible_merchants())


def connection(user, pk: int) -> Connection:
    return get_object_or_404(connections(user).select_related("store", "merchant", "warehouse"), pk=pk)


def stores(user):
    m = viewer(user)
    return Store.objects.filter(organization=m.organization, merchant__in=m.visible_merchants())


def orders(user):
    return Order.objects.filter(connection__in=connections(user))


def alerts(user):
    """Alerts about connections the user sees; administrators also see those about no connection."""
    m = membership(user)
    found = Alert.objects.filter(organization=m.organization)
    if m.is_admin:
        return found
    return found.filter(connection__in=connections(user))


def policies(user):
    return AlertPolicy.objects.filter(organization=membership(user).organization)


def endpoints(user):
    return Endpoint.objects.filter(organization=membership(user).organization)


def warehouses(user):
    """The organization's warehouses: one serves many merchants and stores, so every member may pick one."""
    return Warehouse.objects.filter(organization=membership(user).organization)


def rules(user):
    return Rule.objects.filter(merchant__in=merchants(user)).select_related("merchant", "connection")


def rule(user, pk: int):
    return get_object_or_404(rules(user), pk=pk)
