"""The API object: its routers, its bearer auth, errors as problem details, and the OpenAPI document.

The schema says what the middleware adds to every operation (`api/middleware.py`): the
`Idempotency-Key` header on POST, the rate-limit headers, and the problem answers (401, 403, 404,
409, 422, 429), so a client generated from it knows them and schemathesis checks them.
"""
from __future__ import annotations

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import ValidationError as PydanticValidationError

from dockline.api import cursor, idempotency
from dockline.api.problems import CONTENT_TYPE, PROBLEM_SCHEMA, CsvRefused, problem
from dockline.api.routers import alerts, connections, listings, orders, runs, shipments, shipping, stock
from dockline.connections.services import ActionRefused as ConnectionRefused
from dockline.core.crypto import CredentialsUnreadable
from dockline.core.errors import ConnectorError
from dockline.orders.actions import ActionRefused as OrderRefused

log = logging.getLogger(__name__)
VERSION = "1.0.0"
PROBLEMS = {
    "400": "The request is malformed (a bad cursor or Idempotency-Key).",
    "401": "No live API key was sent.",
    "403": "The key is read-only.",
    "404": "Not found, or not visible to this key.",
    "409": "Refused in the object's present state (the detail says why), or a retry while the first runs.",
    "422": "The body or a parameter is invalid, or an Idempotency-Key was reused for another request.",
    "429": "Too many requests for this key this minute.",
    "502": "The store or the warehouse refused or could not be reached (the detail says which and why).",
    "503": "Dockline cannot read its stored secrets (a key is missing); try again later.",
}
RATE_HEADERS = {name: {"schema": {"type": "integer"}, "description": text} for name, text in (
    ("RateLimit-Limit", "requests allowed per minute"),
    ("RateLimit-Remaining", "requests left this minute"),
    ("RateLimit-Reset", "seconds until the minute starts again"),
)}


class KeyAuth(HttpBearer):
    """The key `ApiKeyMiddleware` found for the request (None answers 401)."""

    def authenticate(self, request, token):
        return request.api_key


class DocklineAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        ref = {"description": "", "content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for item in schema["paths"].values():
            for method, operation in item.items():
                responses = operation["responses"] = {str(c): a for c, a in operation.get("responses", {}).items()}
                for code, text in PROBLEMS.items():
                    responses[code] = {**ref, "description": text}
                responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
                for code, answer in responses.items():
                    if code != "429":
                        answer.setdefault("headers", {}).update(RATE_HEADERS)
                if method == "post":
                    operation.setdefault("parameters", []).append({
                        "in": "header", "name": idempotency.HEADER, "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY},
                        "description": "A retry with the same key gets the first answer; nothing is done twice.",
                    })
        return schema


api = DocklineAPI(title="Dockline API", version=VERSION, urls_namespace="api", auth=KeyAuth(),
                  description="Orders, shipments, stock and mappings of a Dockline install. See docs/api.md.")
for module in (connections, orders, shipments, stock, listings, shipping, runs, alerts):
    api.add_router("", module.router)


@api.exception_handler(OrderRefused)
@api.exception_handler(ConnectionRefused)
def refused(request, exc):
    return problem(409, str(exc), kind="action-refused", title="Refused")


@api.exception_handler(CredentialsUnreadable)
def credentials_unreadable(request, exc):
    log.error("%s %s: %s", request.method, request.path, exc.message)
    return problem(503, "Dockline cannot read its stored secrets; try again later.", kind="credentials-unreadable")


@api.exception_handler(ConnectorError)
def other_side_failed(request, exc):
    return problem(502, exc.message, kind="connector-error", title="The other side refused")


@api.exception_handler(ValueError)
def invalid_value(request, exc):
    return problem(422, str(exc), kind="invalid", title="Invalid value")


@api.exception_handler(PydanticValidationError)
def answer_does_not_fit(request, exc):
    """An answer that does not fit its own schema is Dockline's bug, not the client's: 500, logged."""
    log.error("%s %s: the answer does not fit its schema: %s", request.method, request.path, exc)
    return problem(500, "Dockline could not write this answer; the error is logged.", kind="server-error")


@api.exception_handler(cursor.BadCursor)
def bad_cursor(request, exc):
    return problem(400, str(exc), kind="bad-cursor")


@api.exception_handler(CsvRefused)
def csv_refused(request, exc):
    return problem(422, str(exc), kind="csv-refused", title="File refused", errors=exc.errors)


@api.exception_handler(ValidationError)
def validation(request, exc):
    where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors[:10])
    return problem(422, f"The request is invalid: {where}.", kind="invalid", errors=exc.errors)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    return problem(401, "Send a live API key as 'Authorization: Bearer <key>'.", kind="unauthorized",
                   headers={"WWW-Authenticate": 'Bearer realm="dockline"'})


@api.exception_handler(Http404)
def not_found(request, exc):
    return problem(404, "Nothing with that id is visible to this key.", kind="not-found")


@api.exception_handler(HttpError)
def http_error(request, exc):
    return problem(exc.status_code, str(exc))
