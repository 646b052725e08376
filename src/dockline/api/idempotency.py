"""`Idempotency-Key` on POST: a retry with the same key (per API key) gets the first answer, and nothing runs twice.

The first request claims the key (a row with no status yet, unique per API key) before it runs, so two
copies sent at once cannot both run: the second is told the first is still in progress (409). Its answer
is then stored, unless it was a server error (5xx), which frees the key for a retry. The same key on a
different request (method, path or body) is refused with 422. Keys are kept for KEEP.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dockline.api.models import ApiKey, IdempotentRequest
from dockline.api.problems import problem

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
MAX_KEY = 255
REPLAYED = "Idempotent-Replayed"


def fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def once(request: HttpRequest, key: ApiKey, idempotency_key: str,
         run: Callable[[HttpRequest], HttpResponse]) -> HttpResponse:
    """Answer the request under its idempotency key: run it the first time, replay the answer after."""
    if not idempotency_key or len(idempotency_key) > MAX_KEY:
        return problem(400, f"The {HEADER} header must be 1 to {MAX_KEY} characters.", kind="bad-idempotency-key")
    print_ = fingerprint(request)
    IdempotentRequest.objects.filter(api_key=key, created_at__lt=timezone.now() - KEEP).delete()
    try:
        with transaction.atomic():
            claim = IdempotentRequest.objects.create(api_key=key, key=idempotency_key, fingerprint=print_)
    except IntegrityError:
        first = IdempotentRequest.objects.filter(api_key=key, key=idempotency_key).first()
        if first is None:  # freed meanwhile by a failed first attempt: the client may retry
            return problem(409, "The first request with this Idempotency-Key failed just now; send it again.",
                           kind="idempotency-in-progress")
        return _replay(first, print_)
    try:
        response = run(request)
    except BaseException:
        claim.delete()
        raise
    if response.status_code >= 500:
        claim.delete()
        return response
    claim.status = response.status_code
    claim.content_type = response.get("Content-Type", "")
    claim.body = response.content
    claim.save(update_fields=["status", "content_type", "body"])
    return response


def _replay(first: IdempotentRequest, print_: str) -> HttpResponse:
    if first.fingerprint != print_:
        return problem(422, "This Idempotency-Key was used for a different request; use a new key for a new request.",
                       kind="idempotency-key-reused")
    if first.status is None:
        return problem(409, "The first request with this Idempotency-Key is still running; retry in a moment.",
                       kind="idempotency-in-progress", headers={"Retry-After": "1"})
    response = HttpResponse(bytes(first.body), status=first.status, content_type=first.content_type or None)
    response[REPLAYED] = "true"
    return response
