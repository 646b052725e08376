"""JSON cancellation files: Dockline's request, and the warehouse's status file answering it.

* ``cxl_<order>_<yymmddhhmmss>.json`` (Dockline writes, in the inbox) —
  ``{"version": 1, "cancellations": [{"order_number", "requested_at", "reason"}]}``
* ``cxa_<order>_<yymmddhhmmss>.json`` (the warehouse writes, in the outbox) —
  ``{"version": 1, "cancellation_status": [{"order_number", "status", "answered_at", "reason"}]}``,
  ``status`` being ``"cancelled"`` or ``"too_late"`` (``"shipped"`` is taken too). An entry for an
  order Dockline did not ask about reports a cancellation made at the warehouse.

Read through `JsonFormat`'s loop: never raises, each problem names the path of the value
(``cancellation_status[0].status: ...``). See docs/formats/json.md.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from dockline.core.types import CancelAnswer, CancelRequest
from dockline.warehouses.formats.base import Parsed, RenderError, stamped_name
from dockline.warehouses.formats.cancellations import outcome
from dockline.warehouses.formats.fields import FieldError, moment, required, utc

REQUESTS = "cancellations"
ANSWERS = "cancellation_status"


def _iso(at: datetime) -> str:
    return utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(field, "must be text", value)
    return value.strip()


class JsonCancellations:
    """The cancellation hooks of `JsonFormat` (which supplies `_dump` and `_parse`)."""

    cancels: ClassVar[bool] = True
    cancel_pattern: ClassVar[re.Pattern] = re.compile(r"^cxl_[A-Za-z0-9_.-]+\.json$")
    cancel_answer_pattern: ClassVar[re.Pattern] = re.compile(r"^cxa_[A-Za-z0-9_.-]+\.json$")

    def cancellation_filename(self, order_number: str, at: datetime) -> str:
        return stamped_name("cxl", order_number, "order number", at, "json")

    def cancel_answer_filename(self, order_number: str, at: datetime) -> str:
        return stamped_name("cxa", order_number, "order number", at, "json")

    def render_cancellations(self, requests: list[CancelRequest]) -> bytes:
        for r in requests:
            if not r.order_number.strip():
                raise RenderError("order_number", "a cancellation has no order number")
        return self._dump(REQUESTS, [{"order_number": r.order_number, "requested_at": _iso(r.requested_at),
                                      "reason": r.reason} for r in requests])

    def parse_cancellations(self, data: bytes) -> Parsed[CancelRequest]:
        return self._parse(data, REQUESTS, self._request)

    def _request(self, raw: Any, path: str, problems) -> CancelRequest | None:
        if not isinstance(raw, dict):
            problems.add(path, "must be an object")
            return None
        number = problems.read(required, raw, "order_number", path)
        at = problems.read(moment, raw, "requested_at", path)
        reason = problems.read(_reason, raw, "reason", path)
        if problems.items:
            return None
        return CancelRequest(number, at, reason)

    def render_cancel_answers(self, answers: list[CancelAnswer]) -> bytes:
        return self._dump(ANSWERS, [{"order_number": a.order_number, "status": str(a.outcome),
                                     "answered_at": _iso(a.answered_at), "reason": a.reason} for a in answers])

    def parse_cancel_answers(self, data: bytes) -> Parsed[CancelAnswer]:
        return self._parse(data, ANSWERS, self._answer)

    def _answer(self, raw: Any, path: str, problems) -> CancelAnswer | None:
        if not isinstance(raw, dict):
            problems.add(path, "must be an object")
            return None
        number = problems.read(required, raw, "order_number", path)
        status = problems.read(outcome, raw, "status", path)
        at = problems.read(moment, raw, "answered_at", path)
        reason = problems.read(_reason, raw, "reason", path)
        if problems.items:
            return None
        return CancelAnswer(number, status, at, reason)
