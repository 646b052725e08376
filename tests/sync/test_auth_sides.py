"""Store-side and warehouse-side re-authorization are kept apart: a call to one side never clears the other's."""
import logging

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dockline.connections.models import Channel, ChannelKind, Connection, Side
from dockline.core.errors import ErrorKind
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.sync.jobs import run_channel


def _run(world, kind):
    channel = Channel.objects.get(connection=world.connection, kind=kind)
    Channel.objects.filter(pk=channel.pk).update(lease_owner="test")
    return run_channel(channel.id, "test")


def _marks(world) -> tuple[str, str]:
    c = Connection.objects.get(pk=world.connection.pk)
    return c.store_auth_error, c.warehouse_auth_error


def test_an_orders_run_that_never_touches_the_warehouse_keeps_its_mark(world):
    Connection.objects.filter(pk=world.connection.pk).update(
        store_auth_error="The access token was revoked.", warehouse_auth_error="FTP login incorrect.")

    assert _run(world, ChannelKind.ORDERS).ok  # nothing to send: the warehouse is not called
    assert _marks(world) == ("", "FTP login incorrect.")

    assert _run(world, ChannelKind.SHIPMENTS).ok  # logged in to the warehouse and read its outbox
    assert _marks(world) == ("", "")


def test_a_warehouse_login_failure_marks_the_warehouse_not_the_store(world, caplog):
    warehouse = world.connection.warehouse
    good = dict(warehouse.credentials)
    warehouse.credentials = {**good, "password": "not-the-password"}
    warehouse.save()
    number = world.place_order()

    with caplog.at_level(logging.INFO, logger="dockline.connections.services"):
        runs = [_run(world, ChannelKind.ORDERS), _run(world, ChannelKind.ORDERS)]

    for run in runs:
        assert run.ok is False and run.kind == ErrorKind.REAUTH and run.side == Side.WAREHOUSE
    store_mark, warehouse_mark = _marks(world)
    assert store_mark == "" and "login incorrect" in warehouse_mark
    assert len([r for r in caplog.records if r.name == "dockline.connections.services"]) == 1  # once, not every run
    assert Order.objects.get(number=number).status == S.QUEUED
    client = Client()
    client.force_login(get_user_model().objects.get(username=world.username))
    page = client.get(reverse("connection", args=[world.connection.pk])).content.decode()
    assert "The warehouse needs re-authorization" in page and "The store needs" not in page

    warehouse.credentials = good
    warehouse.save()
    run = _run(world, ChannelKind.ORDERS)
    assert run.ok and run.counts["sent"] == 1
    assert _marks(world) == ("", "")
