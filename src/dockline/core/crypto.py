"""Credentials at rest: a JSON dict encrypted with MultiFernet.

Keys come from settings.CREDENTIAL_KEYS, newest first; older keys still decrypt, so keys can be
rotated with `dockline rotate-keys`. A value no configured key opens is loaded as an
`UnreadableSecrets` marker, not an error: pages that list stores still work, and only code that
reads the secrets meets `CredentialsUnreadable`, which says what to fix.
"""
from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from dockline.core.errors import ConnectorError, ErrorKind

UNREADABLE_MESSAGE = (
    "Stored credentials cannot be decrypted with the configured keys (DOCKLINE_CREDENTIAL_KEYS or the "
    "credential.keys file in DOCKLINE_HOME): restore the key they were saved with, or enter the credentials again."
)


class CredentialsUnreadable(ConnectorError):
    """Secrets were encrypted with a key that is not configured: a person must restore it (or re-enter
    them), so the engine marks the connection "needs re-authorization" with this message."""

    def __init__(self, message: str = UNREADABLE_MESSAGE):
        super().__init__(message, ErrorKind.REAUTH)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIAL_KEYS))


def encrypt(data: dict) -> str:
    return fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict:
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsUnreadable() from None


def readable(token: str) -> bool:
    """Whether a configured key opens this token."""
    try:
        fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def current(token: str) -> bool:
    """Whether the newest key already encrypts this token (`dockline rotate-keys` leaves it alone)."""
    try:
        Fernet(settings.CREDENTIAL_KEYS[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """The same secret encrypted with the newest key; raises CredentialsUnreadable if no key opens it."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable() from None


def mask(value: str) -> str:
    """Show a secret as its last four characters at most, never in full."""
    value = str(value or "")
    if len(value) <= 8:
        return "•" * len(value)
    return "•" * 8 + value[-4:]


class UnreadableSecrets(dict):
    """Stands for secrets no configured key opens: empty and false, and reading it raises.

    Saving it back writes the original token unchanged, so the secrets come back when the key does.
    """

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def _refuse(self, *args, **kwargs):
        raise CredentialsUnreadable()

    __getitem__ = get = keys = items = values = __iter__ = __contains__ = copy = _refuse

    def __repr__(self) -> str:
        return "<unreadable secrets>"


def unreadable(value) -> bool:
    """Whether a loaded EncryptedJSONField value is the unreadable marker."""
    return isinstance(value, UnreadableSecrets)


class EncryptedJSONField(models.TextField):
    """A dict stored as a Fernet token; the database never sees the plain text."""

    def from_db_value(self, value, expression, connection):
        return self._load(value)

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        return self._load(value)

    @staticmethod
    def _load(value):
        if not value:
            return {}
        try:
            return decrypt(value)
        except CredentialsUnreadable:
            return UnreadableSecrets(value)

    def get_prep_value(self, value):
        if isinstance(value, UnreadableSecrets):
            return value.token
        return encrypt(value or {})
