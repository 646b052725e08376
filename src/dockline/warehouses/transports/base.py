"""What every warehouse transport offers.

A transport is opened as a context manager; paths are POSIX paths on the
warehouse's server. Writes are atomic: the file appears under its final name
only once complete.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from dockline.platforms.base import CheckReport, CredentialField


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


@dataclass
class TransportConfig:
    host: str
    port: int
    username: str
    password: str = field(default="", repr=False)  # never in logs or tracebacks
    folders: Folders = field(default_factory=Folders)
    timeout: float = 30.0
    extra: dict = field(default_factory=dict)


class Transport(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]
    credential_fields: ClassVar[tuple[CredentialField, ...]]

    def __init__(self, config: TransportConfig) -> None: ...

    def __enter__(self) -> "Transport": ...

    def __exit__(self, *exc) -> None: ...

    def list(self, folder: str) -> list[RemoteFile]:
        """Files (not folders) directly in `folder`, sorted by name."""

    def read(self, path: str) -> bytes: ...

    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        """Upload under a temporary name, then rename to `name`."""

    def exists(self, path: str) -> bool: ...

    def move(self, src: str, dst_folder: str) -> str:
        """Move a file into `dst_folder` (created if missing); returns the new path."""

    def test(self) -> CheckReport:
        """Reach host, log in, list inbox and outbox, write and remove a probe file."""
