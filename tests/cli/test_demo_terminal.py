"""`dockline demo` as a person runs it: the terminal says what matters (where to log in, what to map the
demo's unmapped SKU to), prints no request log and no raw colour codes when it is not a terminal, and the
store's webhooks reach the demo's own connection instead of answering 404."""
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time

from tests.cli.conftest import SRC


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _deliveries(home) -> tuple[int, int]:
    """(webhook deliveries Dockline recorded, those verified for their connection), read from the demo's database."""
    try:
        with sqlite3.connect(f"file:{home / 'dockline.sqlite3'}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*), COALESCE(SUM(verified), 0) FROM webhooks_webhookdelivery").fetchone()
    except sqlite3.Error:  # not migrated yet
        return 0, 0


def test_the_demo_terminal_has_no_request_log_no_colour_codes_and_its_webhooks_reach_the_connection(tmp_path):
    env = {**os.environ, "DOCKLINE_HOME": str(tmp_path), "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    # The demo is the embedded default (SQLite, in-process worker) on either pass of `make test`.
    for name in ("DOCKLINE_PUBLIC_URL", "DJANGO_SETTINGS_MODULE", "DOCKLINE_CREDENTIAL_KEYS", "SECRET_KEY",
                 "DATABASE_URL", "BROKER_URL", "DOCKLINE_RATE_LIMIT_STORAGE"):
        env.pop(name, None)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dockline.cli", "demo", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        delivered = (0, 0)
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            delivered = _deliveries(tmp_path)
            if delivered[0] >= 1:
                break
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert delivered[0] >= 1 and delivered[1] == delivered[0], (delivered, output)
    assert f"running at http://127.0.0.1:{port}" in output
    assert "webhooks: on" in output
    assert "Map ACME-HAT there to the warehouse SKU HAT-SUN-01" in output
    assert "\x1b[" not in output  # not a terminal: no colour codes
    assert not re.search(r"\b(GET|POST) /|\b404\b", output), output  # no request log, no refused webhook
    assert "[INFO]" not in output  # gunicorn's start and stop lines stay out of the way
