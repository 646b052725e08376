"""Request middleware: forwarded headers from trusted proxies only, CSP, and pages instead of bare errors.

- TrustedProxyMiddleware: X-Forwarded-For/-Proto/-Host and Forwarded are believed only when the
  peer (REMOTE_ADDR) is in settings.TRUSTED_PROXIES; REMOTE_ADDR then becomes the client's address.
  From anyone else they are removed, so SECURE_PROXY_SSL_HEADER and the login throttle cannot be fooled.
- ContentSecurityPolicyMiddleware: settings.CONTENT_SECURITY_POLICY on every response (set for https).
- MembershipMiddleware: a fresh install sends the login page to the one-time setup page, and a
  signed-in user who belongs to no organization is told what to do instead of meeting 404s.
- TimezoneMiddleware: activates the signed-in person's time zone (theirs, else the organization's), so
  templates show local times; everything stored stays UTC.
- UnreadableCredentialsMiddleware: secrets no configured key opens answer 503 with the fix, and are logged.
"""
from __future__ import annotations

import ipaddress
import logging
import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dockline.accounts.models import Membership
from dockline.accounts.permissions import NoMembership
from dockline.accounts.services import needs_setup
from dockline.core.crypto import CredentialsUnreadable

log = logging.getLogger(__name__)

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
             "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@lru_cache(maxsize=4)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def trusted(address: str) -> bool:
    """Whether `address` is one of the configured reverse proxies."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if trusted(meta.get("REMOTE_ADDR", "")):
            hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
            # the nearest address no trusted proxy added is the client
            while hops and trusted(hops[-1]):
                hops.pop()
            if hops:
                meta["DOCKLINE_PROXY_ADDR"], meta["REMOTE_ADDR"] = meta["REMOTE_ADDR"], hops[-1]
        else:
            for name in FORWARDED:
                meta.pop(name, None)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            if getattr(response, "xframe_options_exempt", False):  # pages a store embeds (app install)
                policy = "; ".join(p for p in policy.split("; ") if not p.startswith("frame-ancestors"))
            response["Content-Security-Policy"] = policy
        return response


class MembershipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path in (reverse("login"), reverse("home")) and needs_setup():
            return redirect("setup")
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NoMembership):
            return render(request, "web/no_organization.html", status=403)
        return None


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = None
        if request.user.is_authenticated:
            try:
                membership = request.user.membership  # cached on the user: the view reads the same row
            except Membership.DoesNotExist:
                pass
        try:
            zone = zoneinfo.ZoneInfo(membership.effective_time_zone) if membership is not None else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone this machine no longer knows: UTC
            zone = None
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UnreadableCredentialsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, CredentialsUnreadable):
            log.error("%s %s: %s", request.method, request.path, exception.message)
            if request.path.startswith(("/hooks/", "/bigcommerce/")):
                return JsonResponse({"detail": "Dockline cannot read its stored secrets; try again later."},
                                    status=503)
            return render(request, "web/credentials_unreadable.html", {"message": exception.message}, status=503)
        return None
