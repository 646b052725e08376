"""Private PostgreSQL and Redis instances for the fault trials: ours to restart, never the machine's shared ones.

`PrivatePostgres` is a throw-away cluster made with `initdb` in a temporary folder and run with `pg_ctl`
on a free loopback port (as the `postgres` OS user when this process is root: PostgreSQL refuses to run
as root). `PrivateRedis` is a `redis-server` with no persistence on a free port. Both stop and remove
their folders on `stop()`, and at interpreter exit if nobody did.
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f}s")


class PrivatePostgres:
    """A PostgreSQL cluster of our own; `url` points at its `dockline` database (trust auth, loopback only)."""

    def __init__(self, database: str = "dockline") -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.database = database
        self.root = Path(tempfile.mkdtemp(prefix="dockline-pg-"))
        self.data = self.root / "data"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.running = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PrivatePostgres:
        if self._as:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        if not self.data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self._ctl("start")
        atexit.register(self.stop)
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  self.database)
        return self

    def _ctl(self, verb: str) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        args = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60"]
        if verb in ("start", "restart"):
            args += ["-o", options]
        if verb in ("stop", "restart"):
            args += ["-m", "fast"]
        self._run(*args, verb)
        self.running = verb != "stop"

    def restart(self) -> None:
        """Stop (dropping every connection) and start again on the same port and data."""
        self._ctl("restart")

    def stop(self) -> None:
        if self.running:
            self._ctl("stop")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A `redis-server` of our own with no persistence: a restart loses every queued message."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        return self.database(0)

    def database(self, number: int) -> str:
        """The URL of one of its numbered databases (the broker uses 0)."""
        return f"redis://127.0.0.1:{self.port}/{number}"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_for_port(self.port)
        return self

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        self.process = None
