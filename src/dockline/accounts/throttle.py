"""Login throttling, shared by every process: failures are counted in the database (or Redis).

Two counts per failed attempt: the username at the client's address (MAX_FAILURES locks that pair
out, so an attacker elsewhere cannot lock a user out of their own desk) and the address alone
(MAX_ADDRESS_FAILURES, against one machine trying many usernames). The address is REMOTE_ADDR,
which TrustedProxyMiddleware has already set from X-Forwarded-For when the peer is a trusted proxy.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dockline.accounts.models import LoginFailure

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
LOCKOUT_SECONDS = 15 * 60


class DatabaseCounts:
    """Counts in the LoginFailure table; an expired count starts again from one."""

    def get(self, key: str) -> int:
        row = LoginFailure.objects.filter(key=key, expires_at__gt=timezone.now()).values_list("count", flat=True)
        return row.first() or 0

    def incr(self, key: str, ttl: int) -> int:
        now = timezone.now()
        for _ in range(3):
            with transaction.atomic():
                if LoginFailure.objects.filter(key=key, expires_at__gt=now).update(count=F("count") + 1):
                    return self.get(key)
                if LoginFailure.objects.filter(key=key).update(count=1, expires_at=now + timedelta(seconds=ttl)):
                    return 1
            try:
                with transaction.atomic():
                    LoginFailure.objects.create(key=key, count=1, expires_at=now + timedelta(seconds=ttl))
                return 1
            except IntegrityError:  # another process created it meanwhile: count on top of theirs
                continue
        return self.get(key)

    def delete(self, key: str) -> None:
        LoginFailure.objects.filter(key=key).delete()
        LoginFailure.objects.filter(expires_at__lte=timezone.now()).delete()


class RedisCounts:
    """Counts in Redis keys that expire by themselves."""

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def get(self, key: str) -> int:
        return int(self.redis.get(f"dockline:{key}") or 0)

    def incr(self, key: str, ttl: int) -> int:
        pipe = self.redis.pipeline()
        pipe.incr(f"dockline:{key}")
        pipe.expire(f"dockline:{key}", ttl, nx=True)
        return int(pipe.execute()[0])

    def delete(self, key: str) -> None:
        self.redis.delete(f"dockline:{key}")


@lru_cache(maxsize=4)
def _counts(storage: str):
    return DatabaseCounts() if storage == "database" else RedisCounts(storage)


def counts():
    """The configured store: settings.LOGIN_THROTTLE_STORAGE is "database" or a redis:// URL."""
    return _counts(getattr(settings, "LOGIN_THROTTLE_STORAGE", "database"))


def _user_key(username: str, address: str) -> str:
    return f"login-fail:user:{username.strip().casefold()}@{address}"


def _address_key(address: str) -> str:
    return f"login-fail:addr:{address}"


def locked(username: str, address: str) -> bool:
    store = counts()
    return (store.get(_user_key(username, address)) >= MAX_FAILURES
            or store.get(_address_key(address)) >= MAX_ADDRESS_FAILURES)


def record_failure(username: str, address: str) -> None:
    store = counts()
    store.incr(_user_key(username, address), LOCKOUT_SECONDS)
    store.incr(_address_key(address), LOCKOUT_SECONDS)


def clear(username: str, address: str) -> None:
    counts().delete(_user_key(username, address))


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request else ""


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing to even try a password while the username or address is locked out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": f"Too many failed attempts. Try again in {LOCKOUT_SECONDS // 60} minutes.",
    }

    def clean(self):
        username = self.data.get("username", "")
        address = client_address(self.request)
        if locked(username, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, address)
            raise
        clear(username, address)
        return cleaned
