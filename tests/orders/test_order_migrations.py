"""Data migrations of orders keep what each order's status meant."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.warehouses.models import Warehouse


@pytest.mark.django_db(transaction=True)
def test_orders_canceled_for_exhausted_retries_become_failed():
    org = Organization.objects.create(name="3PL")
    merchant = Merchant.objects.create(organization=org, name="M")
    store = Store.objects.create(organization=org, merchant=merchant, name="S", platform="bigcommerce")
    warehouse = Warehouse.objects.create(organization=org, name="W", credentials={"host": "127.0.0.1"})
    conn = Connection.objects.create(organization=org, name="C", merchant=merchant, store=store, warehouse=warehouse)
    before = [("orders", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldOrder = executor.loader.project_state(before).apps.get_model("orders", "Order")
    now = timezone.now()
    for number, status in (("1", "canceled"), ("2", "open")):
        OldOrder.objects.create(connection_id=conn.id, store_id=store.id, external_id=number, number=number,
                                status=status, placed_at=now, store_modified_at=now)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Order.objects.values_list("number", "status")) == {"1": S.FAILED, "2": S.OPEN}


@pytest.mark.django_db(transaction=True)
def test_orders_stored_before_customer_names_get_their_ship_to_name():
    org = Organization.objects.create(name="3PL")
    merchant = Merchant.objects.create(organization=org, name="M")
    store = Store.objects.create(organization=org, merchant=merchant, name="S", platform="bigcommerce")
    warehouse = Warehouse.objects.create(organization=org, name="W", credentials={"host": "127.0.0.1"})
    conn = Connection.objects.create(organization=org, name="C", merchant=merchant, store=store, warehouse=warehouse)
    before = [("orders", "0004_activity_actor_event")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldOrder = executor.loader.project_state(before).apps.get_model("orders", "Order")
    now = timezone.now()
    for number, destinations in (("1", [{"ref": "1", "address": {"name": "Ann Lee"}}]), ("2", [])):
        OldOrder.objects.create(connection_id=conn.id, store_id=store.id, external_id=number, number=number,
                                placed_at=now, store_modified_at=now, destinations=destinations)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Order.objects.values_list("number", "customer_name")) == {"1": "Ann Lee", "2": ""}
