"""Every request under /api/v1/ (but the schema and its docs page): the key, its rate limit, read-only
refusals and idempotent POSTs, before Django Ninja routes it.

The key found here is `request.api_key` (None when the request names none or a wrong one; the
operation's auth then answers 401). Keeping this outside the operations means every POST is
idempotent and every answer carries the rate-limit headers without each router remembering to.
"""
from __future__ import annotations

from django.http import HttpRequest

from dockline.api import idempotency, keys, ratelimit
from dockline.api.problems import problem

PREFIX = "/api/v1/"
PUBLIC = ("/api/v1/openapi.json", "/api/v1/docs")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class ApiKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path.startswith(PREFIX) or request.path.startswith(PUBLIC):
            return self.get_response(request)
        token = bearer_token(request)
        key = keys.authenticate(token) if token else None
        request.api_key = key
        if key is None:
            return problem(401, "Send a live API key as 'Authorization: Bearer <key>'. Administrators make keys "
                           "on the dashboard's API keys page.", kind="unauthorized",
                           headers={"WWW-Authenticate": 'Bearer realm="dockline"'})
        window = ratelimit.hit(key.prefix)
        if not window.allowed:
            response = problem(429, f"This key made more than {window.limit} requests this minute; retry in "
                               f"{window.reset} seconds.", kind="rate-limited")
        elif request.method not in SAFE_METHODS and not key.writable:
            response = problem(403, f"{key} is read-only; an administrator can make a read-write key.",
                               kind="read-only-key")
        elif request.method == "POST" and idempotency.HEADER.lower() in {h.lower() for h in request.headers}:
            response = idempotency.once(request, key, request.headers[idempotency.HEADER], self.get_response)
        else:
            response = self.get_response(request)
        for name, value in window.headers.items():
            response[name] = value
        return response
