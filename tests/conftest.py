"""Shared test setup: every test run gets its own DOCKLINE_HOME."""
import os
import tempfile

os.environ.setdefault("DOCKLINE_HOME", tempfile.mkdtemp(prefix="dockline-test-"))
