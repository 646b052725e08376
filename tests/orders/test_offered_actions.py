"""What the screens offer for an order is exactly what its status allows: an offered action never
comes back refused, and one left out always would."""
import pytest
from django.utils import timezone

from dockline.orders import actions
from dockline.orders.models import Order, OrderLine
from dockline.orders.status import OrderStatus as S


@pytest.mark.parametrize("status", list(S))
def test_every_offered_action_runs_and_every_other_is_refused(conn, status):
    for name in actions.ACTIONS:
        now = timezone.now()
        order = Order.objects.create(connection=conn, store=conn.store, external_id=f"{status}-{name}",
                                     number="1001", status=status, placed_at=now, store_modified_at=now,
                                     destinations=[{"ref": "1", "address": {}, "shipping_method": "Flat Rate"}])
        OrderLine.objects.create(order=order, line_id="1", sku="HAT-01", quantity=1)
        outcome = actions.run(name, order, "Olga")
        assert outcome.refused == (name not in actions.offered(status)), (status, name, outcome.message)


def test_a_closed_order_is_offered_archive_alone():
    assert actions.offered(S.CLOSED) == ["archive"]
    assert actions.offered_for([S.CLOSED, S.ERROR]) == ["reprocess", "reset", "archive", "cancel"]
