"""Errors as RFC 9457 problem details: `application/problem+json` with type, title, status and detail."""
from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://dockline.dev/problems/"


class CsvRefused(Exception):
    """A file refused whole; `errors` lists each line's problem (answered 422 with them)."""

    def __init__(self, errors: list[str]):
        super().__init__("Nothing was imported: " + " ".join(errors[:10]))
        self.errors = errors


def problem(status: int, detail: str, *, kind: str = "", title: str = "", errors: list | None = None,
            headers: dict | None = None) -> HttpResponse:
    """A problem response; `kind` names the problem type (a slug under TYPE_BASE), else the status's phrase."""
    phrase = HTTPStatus(status).phrase
    body = {
        "type": TYPE_BASE + (kind or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# The schema of a problem body, for the OpenAPI document.
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {}},
    },
}
