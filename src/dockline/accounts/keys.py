"""The credential keys at work: which stored secrets they open, and rotation to the newest key.

Every EncryptedJSONField column is found through the app registry, so a new model with secrets is
covered without a change here. Rotation rewrites one row at a time with a conditional UPDATE (the
row is left alone if it changed meanwhile), so it can be interrupted and run again: rows already
under the newest key are skipped.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.db import connection as db
from django.db import transaction

from dockline.core import crypto


@dataclass
class RotationReport:
    rotated: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)
    changed_meanwhile: int = 0

    @property
    def total(self) -> int:
        return self.rotated + self.current + len(self.unreadable) + self.changed_meanwhile


def encrypted_columns() -> list[tuple[type, str]]:
    """(model, column name) for every encrypted field of every installed model."""
    return [(model, f.column) for model in apps.get_models() for f in model._meta.concrete_fields
            if isinstance(f, crypto.EncryptedJSONField)]


def _rows(model, column: str) -> Iterator[tuple[int, str]]:
    table, pk = db.ops.quote_name(model._meta.db_table), db.ops.quote_name(model._meta.pk.column)
    col = db.ops.quote_name(column)
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> '' ORDER BY {pk}")
        rows = cursor.fetchall()
    yield from rows


def _describe(model, pk) -> str:
    obj = model._default_manager.filter(pk=pk).first()
    return f"{model._meta.verbose_name} {str(obj)!r} (#{pk})" if obj else f"{model._meta.verbose_name} #{pk}"


def count_secrets() -> int:
    return sum(len(list(_rows(model, column))) for model, column in encrypted_columns())


def unreadable_secrets() -> list[str]:
    """The stored secrets no configured key opens, named for a person."""
    return [_describe(model, pk) for model, column in encrypted_columns()
            for pk, token in _rows(model, column) if not crypto.readable(token)]


def rotate_keys(on_row: Callable[[], None] | None = None) -> RotationReport:
    """Re-encrypt every stored secret under the newest key (settings.CREDENTIAL_KEYS[0])."""
    report = RotationReport()
    for model, column in encrypted_columns():
        table, pk_col = db.ops.quote_name(model._meta.db_table), db.ops.quote_name(model._meta.pk.column)
        col = db.ops.quote_name(column)
        for pk, token in _rows(model, column):
            if crypto.current(token):
                report.current += 1
            elif not crypto.readable(token):
                report.unreadable.append(_describe(model, pk))
            else:
                with transaction.atomic(), db.cursor() as cursor:
                    cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {pk_col} = %s AND {col} = %s",
                                   [crypto.rotate(token), pk, token])
                    if cursor.rowcount:
                        report.rotated += 1
                    else:
                        report.changed_meanwhile += 1
            if on_row:
                on_row()
    return report


def malformed_keys() -> list[int]:
    """Positions (1-based) of configured credential keys that are not Fernet keys."""
    bad = []
    for n, key in enumerate(settings.CREDENTIAL_KEYS, 1):
        try:
            Fernet(key.encode())
        except ValueError:
            bad.append(n)
    return bad


def start_up_problems() -> list[str]:
    """What a person must hear at start-up about the keys: missing or wrong keys, said plainly."""
    source = settings.SECRET_SOURCES.get("DOCKLINE_CREDENTIAL_KEYS", "")
    malformed = malformed_keys()
    if malformed or not settings.CREDENTIAL_KEYS:
        return [f"Credential key number {', '.join(map(str, malformed))} in DOCKLINE_CREDENTIAL_KEYS is not a Fernet "
                "key (44 characters of URL-safe base64): nothing encrypted can be read or saved until it is fixed."
                if malformed else "DOCKLINE_CREDENTIAL_KEYS holds no key."]
    bad = unreadable_secrets()
    if not bad:
        return []
    where = ("DOCKLINE_CREDENTIAL_KEYS (environment)" if source == "environment"
             else f"the credential.keys file in {settings.HOME}")
    problems = [(f"{len(bad)} stored secret{'s' if len(bad) != 1 else ''} cannot be decrypted with the keys "
                 f"in {where}: {', '.join(bad[:5])}{' …' if len(bad) > 5 else ''}.")]
    if "generated now" in source:
        problems.append("The credential key file was missing and a new key was just generated: put the old "
                        "credential.keys file back (or set DOCKLINE_CREDENTIAL_KEYS to the old key) and restart.")
    else:
        problems.append("Add the key they were saved with to DOCKLINE_CREDENTIAL_KEYS (after the newest) and "
                        "restart; those stores and warehouses stop working until then, the others run on.")
    return problems
