"""What the formats' cancellation files share: the answer words and their reader.

Dockline asks a warehouse to cancel an order it already holds with a cancellation file (one per
warehouse order, in the inbox); the warehouse answers in a file of its own in the outbox: the order
was cancelled, or it is too late because it already shipped (its shipment file follows or came
already). The same answer file, without any request, is how a warehouse reports an order it
cancelled on its own ("cancelled at warehouse"). See docs/formats/cancellations.md.
"""
from __future__ import annotations

from typing import Any

from dockline.core.types import CancelOutcome
from dockline.warehouses.formats.fields import MISSING, FieldError, absent

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
