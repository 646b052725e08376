"""Shared test setup: every test run gets its own DOCKLINE_HOME; the demo world for flow tests."""
import os
import tempfile

os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-test-"))

import pytest  # noqa: E402


@pytest.fixture
def world(transactional_db):
    """Both sandboxes running and an enabled connection to them; jobs are run by the test itself."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=0.0, partial_rate=0.0)
    yield w
    w.stop()
