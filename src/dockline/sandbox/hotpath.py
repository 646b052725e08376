"""Dockline's hot path for one connection, stage by stage, with what each stage costs.

The stages are the services the channel jobs call, in order: import, map,
forward (orders channel), shipment, post (shipments channel), stock, push
(inventory channel). Each is timed (wall and process CPU) and its database
queries are counted. Waiting for the warehouse to ship is not a stage: the
caller passes `wait_shipped` and `wait_stock`, which block until the warehouse
has written the shipment files and an inventory snapshot after them.

Used by bench/overhead.py and the query-count pins in tests/perf.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection as db

from dockline.connections.models import Connection
from dockline.inventory.services import pull_inventory, push_inventory
from dockline.orders.imports import import_orders
from dockline.orders.services import forward_orders, prepare_orders
from dockline.shipments.services import post_shipments, pull_shipments

STAGES = ("import", "map", "forward", "shipment", "post", "stock", "push")


@dataclass
class StageCost:
    stage: str
    queries: int
    wall: float  # seconds
    cpu: float  # seconds of this process's CPU
    counts: dict


class _Counter:
    """A connection.execute_wrapper that counts the queries it sees."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)


@contextmanager
def _measured(stage: str, costs: list[StageCost]):
    counter = _Counter()
    counts: dict = {}
    wall, cpu = time.perf_counter(), time.process_time()
    with db.execute_wrapper(counter):
        yield counts
    costs.append(StageCost(stage, counter.queries, time.perf_counter() - wall, time.process_time() - cpu, counts))


def run(connection: Connection, *, wait_shipped: Callable[[], None], wait_stock: Callable[[], None]) -> list[StageCost]:
    """Take the store's new orders through to the warehouse, their shipments back, and the stock out."""
    costs: list[StageCost] = []
    warehouse = connection.warehouse
    fmt = warehouse.file_format_handler()
    connector = connection.store.connector()
    try:
        with _measured("import", costs) as counts:
            counts.update(import_orders(connection, connector))
        with _measured("map", costs) as counts:
            counts.update(prepare_orders(connection))
        with _measured("forward", costs) as counts, warehouse.open_transport() as transport:
            counts.update(forward_orders(connection, transport, fmt, connector))
        wait_shipped()
        with _measured("shipment", costs) as counts, warehouse.open_transport() as transport:
            counts.update(pull_shipments(warehouse, transport, fmt))
        with _measured("post", costs) as counts:
            counts.update(post_shipments(connection, connector))
        wait_stock()
        with _measured("stock", costs) as counts, warehouse.open_transport() as transport:
            counts.update(pull_inventory(warehouse, transport, fmt))
        with _measured("push", costs) as counts:
            counts.update(push_inventory(connection, connector))
    finally:
        connector.close()
    return costs
