"""Login throttling: too many failed attempts for a username or from an address locks it out for a while."""
from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


def _keys(username: str, address: str) -> list[str]:
    return [f"login-fail:user:{username.strip().casefold()}", f"login-fail:addr:{address}"]


def locked(username: str, address: str) -> bool:
    return any((cache.get(k) or 0) >= MAX_FAILURES for k in _keys(username, address))


def record_failure(username: str, address: str) -> None:
    for key in _keys(username, address):
        cache.add(key, 0, LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOCKOUT_SECONDS)


def clear(username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])


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
