"""Celery worker processes for the scale-out tests and benchmarks, started like an operator would."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The URL of the database this process uses (the test database inside pytest)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def spawn_worker(home: Path, *, concurrency: int = 1, log: Path | None = None) -> subprocess.Popen:
    """`dockline worker` in its own session, sharing this process's database, broker, quota storage and keys.

    Its errors go to a pipe (read it once it exited), or to the file `log` for a long-lived worker.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BROKER_URL": settings.BROKER_URL,
        "DOCKLINE_RATE_LIMIT_STORAGE": settings.RATE_LIMIT_STORAGE,
        "DOCKLINE_HOME": str(home),
        "SECRET_KEY": settings.SECRET_KEY,
        "DOCKLINE_CREDENTIAL_KEYS": ",".join(settings.CREDENTIAL_KEYS),
        "DOCKLINE_LEASE_SECONDS": str(settings.LEASE_SECONDS),
    }
    stderr = subprocess.PIPE if log is None else log.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "dockline.cli", "worker", "--concurrency", str(concurrency)],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
    finally:
        if log is not None:
            stderr.close()


def kill(worker: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the worker's whole process group (main process and its job processes)."""
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(30)
