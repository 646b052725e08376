"""Fixtures for the 1ShoppingCart connector tests: a running sandbox, a connector pointed at it,
and a whole demo world (store, warehouse, connection) selling on 1ShoppingCart."""
from __future__ import annotations

import pytest

from dockline.platforms.oneshoppingcart import OneShoppingCartConnector
from dockline.sandbox.oneshoppingcart import OneShoppingCartSandbox


@pytest.fixture
def sandbox():
    with OneShoppingCartSandbox(merchant_id="118303", api_key="1sc-secret-key-987654") as sb:
        yield sb


@pytest.fixture
def connector(sandbox):
    conn = OneShoppingCartConnector(sandbox.credentials, sandbox.settings, sleep=lambda seconds: None)
    yield conn
    conn.close()


@pytest.fixture
def osc_world(transactional_db):
    from dockline.sandbox import demo

    world = demo.build(intervals=demo.demo_intervals(3600), platform="oneshoppingcart", ship_delay=0.0,
                       partial_rate=0.0)
    yield world
    world.stop()
