"""A warehouse problem is not an order problem: an inbox that cannot be written, a frozen server,
an order the format cannot write. Real FTP and SFTP servers on loopback."""
import logging
import socket
import threading
import time

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dockline.connections.models import Channel, ChannelKind, Side
from dockline.core.errors import ErrorKind
from dockline.orders.actions import reprocess
from dockline.orders.imports import import_orders
from dockline.orders.models import Activity, Order
from dockline.orders.services import forward_orders, prepare_orders
from dockline.orders.status import OrderStatus as S
from dockline.sandbox.demo import wait_until
from dockline.sandbox.ftpserver import FULL_PERMS
from dockline.sync.jobs import run_channel, sync_orders
from dockline.warehouses.formats.base import RenderError
from dockline.warehouses.models import Direction, ExchangeRecord
from dockline.warehouses.transports import transport_class
from dockline.warehouses.transports.base import TransportConfig


def _run_orders(world):
    """Run the orders job the way the scheduler does, with its run recorded."""
    channel = Channel.objects.get(connection=world.connection, kind=ChannelKind.ORDERS)
    Channel.objects.filter(pk=channel.pk).update(lease_owner="test")
    return run_channel(channel.id, "test")


def _connection_page(world) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=world.username))
    return client.get(reverse("connection", args=[world.connection.pk])).content.decode()


def _queue(world, n):
    numbers = [world.place_order() for _ in range(n)]
    connector = world.connection.store.connector()
    import_orders(world.connection, connector)
    prepare_orders(world.connection)
    connector.close()
    assert Order.objects.filter(status=S.QUEUED).count() == n
    return numbers


def _inbox_problem_keeps_orders_queued_then_sends_them_once_fixed(world, caplog, break_inbox, fix_inbox, words):
    numbers = [world.place_order() for _ in range(3)]
    break_inbox()

    with caplog.at_level(logging.WARNING, logger="dockline.sync.jobs"):
        runs = [_run_orders(world), _run_orders(world)]

    assert len([r for r in caplog.records if "setup needs fixing" in r.getMessage()]) == 1  # once, not every run
    for run in runs:
        assert run.ok is False and run.kind == ErrorKind.CONFIG and run.side == Side.WAREHOUSE
        assert words in run.error and "/in" in run.error  # the server's own words, and where to look
        assert "3 order(s) keep their status" in run.error
    orders = Order.objects.filter(connection=world.connection)
    assert {(o.status, o.attempts) for o in orders} == {(S.QUEUED, 0)}
    for order in orders:  # told once, however many runs fail
        assert order.activity.filter(level="warning", message__contains=words).count() == 1
    assert world.wms.received == {}
    page = _connection_page(world)
    assert "The warehouse&#x27;s setup needs fixing" in page and words in page

    fix_inbox()
    run = _run_orders(world)

    assert run.ok and run.counts["sent"] == 3
    assert set(Order.objects.values_list("status", flat=True)) == {S.OPEN}
    assert wait_until(lambda: sum(world.wms.received.values()) >= 3, timeout=15), world.wms.received
    assert world.wms.received == {n: 1 for n in numbers}
    assert "setup needs fixing" not in _connection_page(world)


def test_ftp_inbox_without_write_permission_fails_the_run_and_keeps_orders_queued(world, caplog):
    server = world.wms.server
    inbox = str(world.wms.inbox)

    _inbox_problem_keeps_orders_queued_then_sends_them_once_fixed(
        world, caplog,
        lambda: server.authorizer.override_perm(server.username, inbox, "elr", recursive=True),
        lambda: server.authorizer.override_perm(server.username, inbox, FULL_PERMS, recursive=True),
        "Not enough privileges",
    )


def test_sftp_inbox_permission_denied_fails_the_run_and_keeps_orders_queued(make_world, caplog):
    world = make_world("sftp")
    server = world.wms.server

    _inbox_problem_keeps_orders_queued_then_sends_them_once_fixed(
        world, caplog, lambda: server.deny("/in"), lambda: server.allow("/in"), "ermission denied",
    )


class FreezableRelay:
    """A TCP relay on loopback in front of a real server; `freeze()` makes it stop answering, as a hung server."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.frozen = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if not self.frozen.is_set():  # frozen: swallowed, never answered
                    dst.sendall(data)
            except OSError:
                return

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        for s in [self._listener, *self._sockets]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def test_a_frozen_server_costs_one_timeout_and_the_other_orders_wait_queued(world):
    _queue(world, 5)
    warehouse = world.connection.warehouse
    creds = dict(warehouse.credentials)
    relay = FreezableRelay(creds["host"], int(creds["port"]))
    config = TransportConfig(host="127.0.0.1", port=relay.port, username=creds["username"],
                             password=creds["password"], folders=warehouse.folders, timeout=1.0)
    connector = world.connection.store.connector()
    try:
        with transport_class("ftp")(config) as transport:  # logged in; then the server stops answering
            relay.freeze()
            started = time.monotonic()
            counts = forward_orders(world.connection, transport, warehouse.file_format_handler(), connector)
            elapsed = time.monotonic() - started
    finally:
        relay.close()
        connector.close()

    assert elapsed < 3.0, f"{elapsed:.1f} s: more than one timeout"
    assert counts == {"sent": 0, "delayed": 1, "waiting": 4}
    delayed = Order.objects.get(status=S.DELAYED)
    assert delayed.attempts == 1 and "timed out" in delayed.error
    waiting = Order.objects.filter(status=S.QUEUED)
    assert waiting.count() == 4
    assert {o.attempts for o in waiting} == {0}
    assert not Activity.objects.filter(order__in=waiting, level="warning").exists()  # untouched

    sync_orders(world.connection)  # the server answers again: the four go out; the delayed one when due
    assert Order.objects.filter(status=S.OPEN).count() == 4


def test_an_order_the_format_cannot_write_stops_in_error_and_the_others_flow_on(world):
    good_one, bad, good_two = _queue(world, 3)
    warehouse = world.connection.warehouse
    real_format = type(warehouse.file_format_handler())

    class RefusesOneOrder(real_format):
        def render_orders(self, orders):
            if orders[0].order_number == bad:
                raise RenderError("ship_to.name", "longer than the 35 characters the warehouse takes.")
            return super().render_orders(orders)

    connector = world.connection.store.connector()
    with warehouse.open_transport() as transport:
        counts = forward_orders(world.connection, transport, RefusesOneOrder(warehouse.settings), connector)
    connector.close()

    assert counts == {"sent": 2, "delayed": 0, "unwritable": 1}
    held = Order.objects.get(number=bad)
    assert held.status == S.ERROR
    assert held.error == ("Cannot write this order for the warehouse: ship_to.name: longer than the 35 characters "
                          "the warehouse takes. Fix it in the store, then reprocess.")
    sent = ExchangeRecord.objects.filter(direction=Direction.OUT, kind=ChannelKind.ORDERS)
    assert sorted(key for r in sent for key in r.business_keys) == sorted([good_one, good_two])  # nothing for it
    assert wait_until(lambda: sum(world.wms.received.values()) >= 2, timeout=15), world.wms.received
    assert world.wms.received == {good_one: 1, good_two: 1}

    lines = held.activity.count()
    sync_orders(world.connection)  # a scheduled run does not retry it on its own, nor log it again
    held.refresh_from_db()
    assert held.status == S.ERROR and held.activity.count() == lines

    reprocess(held, by="a test")  # once fixed, a person reprocesses it
    sync_orders(world.connection)
    assert wait_until(lambda: world.wms.received.get(bad) == 1, timeout=15), world.wms.received
