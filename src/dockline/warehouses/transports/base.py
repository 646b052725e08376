"""The warehouse transport base class and registry, and the Test Connection sequence they share.

A transport is opened as a context manager; paths are POSIX paths on the
warehouse's server. Writes are atomic: the file appears under its final name
only once complete. Reads go to a spooled temporary file (in memory up to
`SPOOL_IN_MEMORY`, on disk beyond), so a big file is held once at most.
Every operation is bounded by `TransportConfig.timeout` (connect, each read
and each write); a timeout is a RETRYABLE `ConnectorError`.
"""
from __future__ import annotations

import io
import posixpath
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, ClassVar

from dockline.core.errors import ConnectorError
from dockline.core.plugins import Registry
from dockline.platforms.base import CheckReport, CredentialField

SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bytes of a download kept in memory before it spills to disk

# What to do about a folder or quota problem on the warehouse's server (ErrorKind.CONFIG).
FIX_DENIED = "ask the warehouse to let this login write there, or correct the folder in the warehouse's settings"
FIX_MISSING = "correct the folder in the warehouse's settings, or ask the warehouse to create it"
FIX_FULL = "ask the warehouse to free space or raise this login's quota"


@dataclass(frozen=True)
class Folders:
    inbox: str = "/in"  # Dockline writes orders here
    outbox: str = "/out"  # the warehouse writes shipments and inventory here
    archive: str = "/out/archive"  # processed files move here
    error: str = "/out/error"  # files that could not be read move here
    taken: str = ""  # where the warehouse moves order files it has taken, if it keeps them

    @classmethod
    def from_settings(cls, settings: dict) -> "Folders":
        keys = ("inbox", "outbox", "archive", "error", "taken")
        return cls(**{k: settings[k] for k in keys if settings.get(k)})


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    # UTC, as the server reports it (FTP: to the second); None if it does not say. Not part of equality:
    # two listings of one unchanged file compare equal by name and size, and the settle check reads it.
    modified: datetime | None = field(default=None, compare=False)


@dataclass
class TransportConfig:
    host: str
    port: int
    username: str
    password: str = field(default="", repr=False)  # never in logs or tracebacks
    folders: Folders = field(default_factory=Folders)
    timeout: float = 30.0
    extra: dict = field(default_factory=dict)


class Transport:
    """The base class of every warehouse transport: fill in the required methods.

    Required: `list`, `read_into`, `write_atomic`, `exists`, `stat`, `move`, `delete` and
    `test` (or subclass `CheckedTransport`, which supplies `test`). A transport may connect in
    `connect` (called on entering the context) or lazily; `close` ends the session. A subclass
    registers itself with `@register`.
    """

    name: ClassVar[str]  # the registry key, stored on each Warehouse
    label: ClassVar[str]  # what the wizard shows
    default_port: ClassVar[int]  # used when the warehouse's settings leave the port empty
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()

    def __init__(self, config: TransportConfig) -> None:
        self.config = config

    def __enter__(self) -> "Transport":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        """Open the session now (entering the context calls it). Default: nothing (connect lazily)."""

    def close(self) -> None:
        """End the session; safe to call twice. Default: nothing to end."""

    def list(self, folder: str) -> list[RemoteFile]:
        """Files (not folders) directly in `folder`, sorted by name."""
        raise NotImplementedError(f"{type(self).__name__} must implement list")

    def read_into(self, path: str, sink: IO[bytes]) -> int:
        """Write the whole file to `sink`; returns the byte count. Short transfers raise RETRYABLE."""
        raise NotImplementedError(f"{type(self).__name__} must implement read_into")

    def read(self, path: str) -> bytes:
        """The whole file in memory (small files; the engine reads through `spool`)."""
        sink = io.BytesIO()
        self.read_into(path, sink)
        return sink.getvalue()

    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        """Upload under a temporary name, then rename to `name`."""
        raise NotImplementedError(f"{type(self).__name__} must implement write_atomic")

    def exists(self, path: str) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must implement exists")

    def stat(self, path: str) -> RemoteFile | None:
        """The file's size and modification time as `list` reports them; None when it is gone."""
        raise NotImplementedError(f"{type(self).__name__} must implement stat")

    def move(self, src: str, dst_folder: str) -> str:
        """Move a file into `dst_folder` (created if missing); returns the new path."""
        raise NotImplementedError(f"{type(self).__name__} must implement move")

    def delete(self, path: str) -> None:
        """Remove a file (Test Connection's probe file)."""
        raise NotImplementedError(f"{type(self).__name__} must implement delete")

    def test(self) -> CheckReport:
        """Reach host, log in, list inbox and outbox, write and remove a probe file."""
        raise NotImplementedError(f"{type(self).__name__} must implement test")


REGISTRY: Registry[Transport] = Registry(
    "warehouse transport", Transport, key="name", package="dockline.warehouses.transports")
register = REGISTRY.register  # class decorator: @register above a Transport subclass


def spool(transport: Transport, path: str) -> IO[bytes]:
    """The file at `path` in a temporary file positioned at its start (the caller closes it)."""
    sink = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    try:
        transport.read_into(path, sink)
    except BaseException:
        sink.close()
        raise
    sink.seek(0)
    return sink


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Step:
    """One Test Connection step: its name, what it does, how its result reads (None: the result is text)."""

    name: str
    action: Callable
    detail: Callable | None = None
    quiet: bool = False  # shown only when it fails


class CheckedTransport(Transport):
    """The Test Connection sequence every transport shares; each fills it with its own primitives.

    A transport supplies `_connect_steps()` (reach, secure, check host key, log in...),
    `_list_checked(path)`, `_step_reason(exc, folder)` and `_wire_errors`; the sequence
    then lists the inbox and the outbox and writes and removes a probe file. After a
    failed step the later steps are not attempted.
    """

    _wire_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, EOFError)

    def _connect_steps(self) -> list[Step]:
        raise NotImplementedError

    def _list_checked(self, path: str) -> list[RemoteFile]:
        raise NotImplementedError

    def _step_reason(self, exc: BaseException, folder: str | None) -> str:
        raise NotImplementedError

    def test(self) -> CheckReport:
        """Reach host, log in, list inbox and outbox, write and remove a probe file."""
        report = CheckReport()
        folders = self.config.folders
        self.close()
        try:
            for step in self._connect_steps():
                if not self._step(report, step):
                    return report
            for label, path in (("inbox", folders.inbox), ("outbox", folders.outbox)):
                listing = Step(f"List {label} {path}", lambda p=path: self._list_checked(p),
                               lambda files: plural(len(files), "file"))
                if not self._step(report, listing, folder=path):
                    return report
            probe = Step("Write and remove a probe file in inbox", self._probe)
            self._step(report, probe, folder=folders.inbox)
            return report
        finally:
            self.close()

    def _probe(self) -> str:
        inbox = self.config.folders.inbox
        name = f".dockline-probe-{secrets.token_hex(6)}"
        path = posixpath.join(inbox, name)
        self.write_atomic(inbox, name, b"dockline probe\n")
        self.delete(path)
        return f"wrote and removed {path}"

    def _step(self, report: CheckReport, step: Step, *, folder: str | None = None) -> bool:
        try:
            result = step.action()
        except (*self._wire_errors, ConnectorError) as exc:
            return report.add(step.name, False, self._step_reason(exc, folder))
        if step.quiet:
            return True
        text = step.detail(result) if step.detail else (result if isinstance(result, str) else "")
        return report.add(step.name, True, text or "")
