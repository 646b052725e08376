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
from dockline.warehouses.formats.base import Parsed
from dockline.warehouses.formats.cancellations import CancelNames, check_requests, read_answer, read_request
from dockline.warehouses.formats.fields import utc

REQUESTS = "cancellations"
ANSWERS = "cancellation_status"


def _iso(at: datetime) -> str:
    return utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(build):
    """A reader for `JsonFormat._parse`: an object whose keys `build(read)` reads, or None with its problems."""
    def record(raw: Any, path: str, problems):
        if not isinstance(raw, dict):
            problems.add(path, "must be an object")
            return None
        item = build(lambda reader, key: problems.read(reader, raw, key, path))
        return None if problems.items else item
    return record


class JsonCancellations(CancelNames):
    """The cancellation hooks of `JsonFormat` (which supplies `extension`, `_dump` and `_parse`)."""

    cancel_pattern: ClassVar[re.Pattern] = re.compile(r"^cxl_[A-Za-z0-9_.-]+\.json$")
    cancel_answer_pattern: ClassVar[re.Pattern] = re.compile(r"^cxa_[A-Za-z0-9_.-]+\.json$")

    def render_cancellations(self, requests: list[CancelRequest]) -> bytes:
        check_requests(requests)
        return self._dump(REQUESTS, [{"order_number": r.order_number, "requested_at": _iso(r.requested_at),
                                      "reason": r.reason} for r in requests])

    def parse_cancellations(self, data: bytes) -> Parsed[CancelRequest]:
        return self._parse(data, REQUESTS, _record(read_request))

    def render_cancel_answers(self, answers: list[CancelAnswer]) -> bytes:
        return self._dump(ANSWERS, [{"order_number": a.order_number, "status": str(a.outcome),
                                     "answered_at": _iso(a.answered_at), "reason": a.reason} for a in answers])

    def parse_cancel_answers(self, data: bytes) -> Parsed[CancelAnswer]:
        return self._parse(data, ANSWERS, _record(read_answer))
