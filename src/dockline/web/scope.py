"""What the signed-in user may see: every query in the web layer starts here (others answer 404)."""
from __future__ import annotations

from django.shortcuts import get_object_or_404

from dockline.accounts.permissions import membership
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order
from dockline.rules.models import Rule


def merchants(user):
    return membership(user).visible_merchants()


def connections(user):
    m = membership(user)
    return Connection.objects.filter(organization=m.organization, merchant__in=m.visible_merchants())


def connection(user, pk: int) -> Connection:
    return get_object_or_404(connections(user).select_related("store", "merchant", "warehouse"), pk=pk)


def stores(user):
    m = membership(user)
    return Store.objects.filter(organization=m.organization, merchant__in=m.visible_merchants())


def orders(user):
    return Order.objects.filter(connection__in=connections(user))


def rules(user):
    return Rule.objects.filter(merchant__in=merchants(user)).select_related("merchant", "connection")


def rule(user, pk: int):
    return get_object_or_404(rules(user), pk=pk)
