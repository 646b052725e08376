"""Acumatica tests: a sandbox instance, connectors on it, and the demo world selling on it."""
import time

import pytest


class Clock:
    """The sandbox's clock: real time, moved on by the test (`advance(days=31)`)."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, *, days: float = 0, seconds: float = 0) -> None:
        self.offset += days * 86400 + seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sandbox(clock):
    from dockline.sandbox.acumatica import AcumaticaSandbox

    sb = AcumaticaSandbox(action_seconds=0.05, clock=clock).start()
    for sku in ("A", "B", "C"):
        sb.instance.add_item(sku, f"Item {sku}")
    yield sb
    sb.stop()


@pytest.fixture
def connect(sandbox):
    """connect(credentials=None, sleep=time.sleep, **settings) -> connector whose saved credentials land in
    connector.saved."""
    from dockline.platforms.acumatica.connector import AcumaticaConnector

    made = []

    def make(credentials=None, sleep=time.sleep, **settings):
        connector = AcumaticaConnector(dict(credentials or sandbox.credentials), settings, sleep=sleep)
        connector.saved = []
        connector.save_credentials = connector.saved.append
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture(params=["sales_orders", "shipments"])
def acumatica_world(request, transactional_db, monkeypatch):
    """The demo world with the store on the Acumatica sandbox, in each mode; jobs are run by the test."""
    monkeypatch.setenv("DOCKLINE_DEMO_ACUMATICA_MODE", request.param)
    from dockline.sandbox import demo

    world = demo.build(intervals=demo.demo_intervals(3600), platform="acumatica", ship_delay=0.0, partial_rate=0.0)
    yield world
    world.stop()
