"""Shared test fixtures: the demo world for flow tests, the official specs beside the repository, and a real
SMTP server on loopback (aiosmtpd) that keeps what it receives."""
import os
import socket
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The sandboxes and stock servers listen on loopback: let Dockline connect there, in this process
# (fixture below) and in the workers and commands tests start (environment).
os.environ.setdefault("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "1")


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True


def shared_specs_dir(platform: str = "") -> Path:
    """`../shared/specs/<platform>` relative to the repository root (`DOCKLINE_SHARED` names another
    `shared` folder, e.g. for a git worktree); the calling test fails, never skips, when it is missing."""
    shared = Path(os.environ["DOCKLINE_SHARED"]) if os.environ.get("DOCKLINE_SHARED") else REPO_ROOT.parent / "shared"
    path = shared / "specs" / platform
    if not path.is_dir():
        pytest.fail(f"The official specs are missing: {path} does not exist. Put the shared folder beside the "
                    f"repository ({REPO_ROOT.parent / 'shared'}) or set DOCKLINE_SHARED to it.", pytrace=False)
    return path


@pytest.fixture(scope="session")
def shared_specs():
    """shared_specs("bigcommerce") -> the folder of that platform's official specs (see shared_specs_dir)."""
    return shared_specs_dir


@pytest.fixture
def world(transactional_db):
    """Both sandboxes running and an enabled connection to them; jobs are run by the test itself."""
    from dockline.sandbox import demo

    w = demo.build(intervals=demo.demo_intervals(3600), ship_delay=0.0, partial_rate=0.0)
    yield w
    w.stop()


def pytest_collection_modifyitems(items):
    """Everything under tests/flow and tests/sync drives the sync engine: it runs again on PostgreSQL.

    Not the `dockline demo --check` runs: the demo is the embedded default (SQLite) on either pass.
    """
    for item in items:
        if item.path.parent.name in ("flow", "sync") and not item.path.name.startswith("test_demo_check"):
            item.add_marker(pytest.mark.integration)


class Inbox:
    """What the loopback SMTP server received: `messages`, aiosmtpd envelopes."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    return _free_port()


@pytest.fixture
def smtp(settings):
    """Django mails through a real SMTP server on a free loopback port; yields its Inbox."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()
