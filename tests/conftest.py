"""Shared test fixtures: the demo world for flow tests."""
import pytest


@pytest.fixture
def world(transactional_db):
    """Both sandboxes running and an enabled connection to them; jobs are run by the test itself."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=0.0, partial_rate=0.0)
    yield w
    w.stop()


def pytest_collection_modifyitems(items):
    """Everything under tests/flow and tests/sync drives the sync engine: it runs again on PostgreSQL."""
    for item in items:
        if item.path.parent.name in ("flow", "sync"):
            item.add_marker(pytest.mark.integration)
