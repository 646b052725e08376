"""What the signed-in user may see: every query in the web layer starts here."""
from __future__ import annotations

from django.http import Http404

from dockline.accounts.models import Membership
from dockline.connections.models import Connection
from dockline.orders.models import Order


def membership(user) -> Membership:
    try:
        return user.membership
    except Membership.DoesNotExist:
        raise Http404("no organization") from None


def connections(user):
    m = membership(user)
    return Connection.objects.filter(organization=m.organization, merchant__in=m.visible_merchants())


def orders(user):
    return Order.objects.filter(connection__in=connections(user))
