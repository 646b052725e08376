"""Errors that connectors and transports raise, classified for the sync engine."""
from __future__ import annotations

import enum


class ErrorKind(enum.StrEnum):
    RETRYABLE = "retryable"  # network trouble, 5xx: try again later
    RATE_LIMITED = "rate_limited"  # wait retry_after seconds, then try again
    REAUTH = "reauth"  # credentials no longer work: a person must fix them
    FATAL = "fatal"  # the request itself is wrong: retrying will not help
    # The other side's setup is wrong (a folder missing or not writable, a quota full): a person
    # must fix it there. The run fails and says so; waiting work (queued orders) is kept, not given up.
    CONFIG = "config"


class ConnectorError(Exception):
    """A store or warehouse call failed; `kind` says what the engine should do."""

    def __init__(self, message: str, kind: ErrorKind = ErrorKind.FATAL, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in (ErrorKind.RETRYABLE, ErrorKind.RATE_LIMITED)


class FormatError(Exception):
    """A warehouse file could not be read; names the line and the reason."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.reason = reason
        self.line = line
