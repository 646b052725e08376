"""Fixtures for the UltraCart connector tests: a running sandbox, a connector pointed at it,
and a whole demo world (store, warehouse, connection) selling on UltraCart."""
from __future__ import annotations

import pytest

from dockline.platforms.ultracart import UltraCartConnector
from dockline.sandbox.ultracart import UltraCartSandbox

CATALOG = [("WIDGET-1", "Widget", "9.99"), ("GADGET-2", "Gadget", "24.50")]


@pytest.fixture
def sandbox():
    sb = UltraCartSandbox(merchant_id="DEMO", api_key="uc-secret-key-123456", distribution_centers=("DFLT", "WEST"))
    for sku, name, price in CATALOG:
        sb.store.add_item(sku, name, price)
    with sb:
        yield sb


@pytest.fixture
def connector(sandbox):
    conn = UltraCartConnector(sandbox.credentials, sandbox.settings, sleep=lambda seconds: None)
    yield conn
    conn.close()


@pytest.fixture
def uc_world(transactional_db):
    from dockline.sandbox import demo

    world = demo.build(intervals=demo.demo_intervals(3600), platform="ultracart", ship_delay=0.0, partial_rate=0.0)
    yield world
    world.stop()


@pytest.fixture
def sdk(sandbox):
    """UltraCart's official Python SDK (`ultracart-rest-sdk`) configured for the sandbox: host and simple key."""
    from ultracart.api_client import ApiClient
    from ultracart.configuration import Configuration

    from dockline.platforms.ultracart.client import API_VERSION

    config = Configuration(host=sandbox.base_url, api_key={"ultraCartSimpleApiKey": sandbox.api_key})
    with ApiClient(config, header_name="X-UltraCart-Api-Version", header_value=API_VERSION) as client:
        yield client
