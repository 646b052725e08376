"""An alert check costs the same number of database queries for 5 connections as for 25: every
condition asks one (or two) aggregate queries over all of them, and the alerts found again are saved
together. Before, it was about 25 queries per connection (5,067 for 200 connections, bench/alerts.py),
so a 3PL with thousands of connections had checks that could not finish within their minute."""
from datetime import timedelta

from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.alerts.models import Alert, AlertPolicy
from dockline.alerts.services import evaluate_alerts
from dockline.alerts.status import Condition
from dockline.connections.models import ChannelKind, Connection, Store
from dockline.orders.models import Dispatch, Order
from dockline.orders.status import OrderStatus as S
from dockline.sync.models import SyncRun
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse
from dockline.webhooks.models import WebhookDelivery

BOUND = 24  # measured 19 (SQLite) whatever the number of connections


def troubled(n: int) -> int:
    """N connections, each with every condition's problem; returns how many alerts one check finds."""
    org = Organization.objects.create(name=f"Riverside {n}")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    long_ago = timezone.now() - timedelta(days=3)
    for i in range(n):
        warehouse = Warehouse.objects.create(organization=org, name=f"3PL {i}", file_format="x12",
                                             credentials={"host": "127.0.0.1"})
        store = Store.objects.create(organization=org, merchant=merchant, name=f"Store {i}", platform="bigcommerce",
                                     credentials={"store_hash": "x", "access_token": "t"})
        connection = Connection.objects.create(organization=org, name=f"Acme {i:02}", merchant=merchant, store=store,
                                               warehouse=warehouse, enabled=True, store_auth_error="Refused (401).")
        for channel in connection.channels.all():
            SyncRun.objects.bulk_create([SyncRun(channel=channel, started_at=long_ago + timedelta(minutes=r), ok=False,
                                                 error="Refused.", side="store") for r in range(3)])
        orders = Order.objects.bulk_create([
            Order(connection=connection, store=store, external_id=f"{i}-{s}", number=f"{i}{j}", status=s,
                  placed_at=long_ago, store_modified_at=long_ago) for j, s in enumerate([S.ERROR, S.QUEUED, S.OPEN])])
        record = ExchangeRecord.objects.create(warehouse=warehouse, direction=Direction.OUT, kind=ExchangeKind.ORDERS,
                                               filename=f"940_{i}.x12", checksum=f"{i}", size=1)
        record.move_to(ExchangeState.SENT)
        Dispatch.objects.create(order=orders[2], warehouse=warehouse, warehouse_order_number="1", exchange=record)
        WebhookDelivery.objects.create(connection=connection, payload_hash=f"{i}", verified=True)
    for model in (Order, Dispatch, ExchangeRecord, Connection):
        model.objects.update(created_at=long_ago)
    WebhookDelivery.objects.update(received_at=long_ago - timedelta(hours=1))
    AlertPolicy.objects.create(organization=org, name="Ops", conditions=list(Condition.values), email=False)
    return n * (len(Condition) - 1 + len(ChannelKind) - 1)  # no credential expiring; 3 failing channels each


def queries_of_a_check_finding_every_alert_again(n: int) -> int:
    expected = troubled(n)
    now = timezone.now()
    assert evaluate_alerts(now)["opened"] == expected == Alert.objects.filter(policy__enabled=True).count()
    with CaptureQueriesContext(database) as captured:
        assert evaluate_alerts(now + timedelta(minutes=1))["updated"] == expected
    return len(captured.captured_queries)


def test_an_alert_check_does_not_query_the_database_more_for_25_connections_than_for_5(db):
    few = queries_of_a_check_finding_every_alert_again(5)
    AlertPolicy.objects.update(enabled=False)  # the first 3PL stops watching: the second is checked alone
    Connection.objects.update(enabled=False)
    many = queries_of_a_check_finding_every_alert_again(25)
    assert many == few <= BOUND, f"{few} queries for 5 connections, {many} for 25 (bound {BOUND})"
