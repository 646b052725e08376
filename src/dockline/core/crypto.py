"""Credentials at rest: a JSON dict encrypted with MultiFernet.

Keys come from settings.CREDENTIAL_KEYS, newest first; older keys still
decrypt, so keys can be rotated with `dockline rotate-keys`.
"""
from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


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
        raise ValueError("stored credentials cannot be decrypted with the configured keys") from None


def mask(value: str) -> str:
    """Show a secret as its last four characters at most, never in full."""
    value = str(value or "")
    if len(value) <= 8:
        return "•" * len(value)
    return "•" * 8 + value[-4:]


class EncryptedJSONField(models.TextField):
    """A dict stored as a Fernet token; the database never sees the plain text."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else {}

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        return decrypt(value) if value else {}

    def get_prep_value(self, value):
        return encrypt(value or {})
