"""What the formats' cancellation files share: the answer words and their reader.

Dockline asks a warehouse to cancel an order it already holds with a cancellation file (one per
warehouse order, in the inbox); the warehouse answers in a file of its own in the outbox: the order
was cancelled, or it is too late because it already shipped (its shipment file follows or came
already). The same answer file, without any request, is how a warehouse reports an order it
cancelled on its own ("cancelled at warehouse"). See docs/formats/cancellations.md.

Both files carry the same fields in every layout, so the layouts share their names, the check
before writing and the reading of each field here; each layout module says only how a field is
found (a DSFX column, a JSON key).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from dockline.core.types import CancelAnswer, CancelOutcome, CancelRequest
from dockline.warehouses.formats.base import RenderError, stamped_name
from dockline.warehouses.formats.fields import MISSING, FieldError, absent, moment, required

# `read(reader, field)`: the field's value as `reader(value, name)` gives it (a FieldError names it).
Read = Callable[[Callable[..., Any], str], Any]

# The words a warehouse may write for each outcome (case and spaces ignored).
OUTCOME_WORDS: dict[str, CancelOutcome] = {
    "cancelled": CancelOutcome.CANCELLED,
    "canceled": CancelOutcome.CANCELLED,
    "too_late": CancelOutcome.TOO_LATE,
    "too late": CancelOutcome.TOO_LATE,
    "shipped": CancelOutcome.TOO_LATE,
}


def outcome(value: Any, field: str) -> CancelOutcome:
    """An answer's status: cancelled, or too_late (also "shipped"); a FieldError names the field otherwise."""
    if absent(value):
        raise FieldError(field, "is empty: expected cancelled or too_late", kind=MISSING)
    if not isinstance(value, str) or value.strip().lower() not in OUTCOME_WORDS:
        raise FieldError(field, "is not cancelled or too_late", value)
    return OUTCOME_WORDS[value.strip().lower()]


def reason(value: Any, field: str) -> str:
    """Optional text, stripped; absent is empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(field, "must be text", value)
    return value.strip()


def read_request(read: Read) -> CancelRequest:
    """Dockline's request, its fields read in the order their errors are listed."""
    return CancelRequest(order_number=read(required, "order_number"), requested_at=read(moment, "requested_at"),
                         reason=read(reason, "reason"))


def read_answer(read: Read) -> CancelAnswer:
    """The warehouse's answer, its fields read in the order their errors are listed."""
    return CancelAnswer(order_number=read(required, "order_number"), outcome=read(outcome, "status"),
                        answered_at=read(moment, "answered_at"), reason=read(reason, "reason"))


def check_requests(requests: list[CancelRequest]) -> None:
    """Refuse, before anything is written, a request without an order number (RenderError)."""
    for r in requests:
        if not r.order_number.strip():
            raise RenderError("order_number", "a cancellation has no order number")


class CancelNames:
    """A cancelling format's file names from its `extension`, as `StampedNames` does for the others."""

    cancels: ClassVar[bool] = True
    extension: ClassVar[str]

    def cancellation_filename(self, order_number: str, at: datetime) -> str:
        return stamped_name("cxl", order_number, "order number", at, self.extension)

    def cancel_answer_filename(self, order_number: str, at: datetime) -> str:
        return stamped_name("cxa", order_number, "order number", at, self.extension)
