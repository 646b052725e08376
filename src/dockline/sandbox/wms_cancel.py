"""The simulated warehouse's cancellation desk: it reads cancellation files and answers them.

A cancellation for an order it has not shipped any part of is done: the order leaves the pick queue
and the answer is "cancelled". One it has shipped (a part of) is "too late": what is left still
ships, and the shipment files say what went. An order it never received is answered "cancelled"
(nothing will ship). `cancel_at_warehouse` plays a warehouse cancelling on its own (damaged stock, an
address it cannot ship to): the same answer file, with no request before it. Mixed into
`SimulatedWms`, whose lock, queues and folders it uses.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from dockline.core.types import CancelAnswer, CancelOutcome
from dockline.sandbox.files import move_unique, write_atomic

log = logging.getLogger(__name__)


class CancellationDesk:
    """Cancellation handling for `SimulatedWms` (see the module's docstring)."""

    @property
    def cancel_answers(self) -> list[CancelAnswer]:
        """Every answer written, requested or not, in order."""
        with self._lock:
            return list(self._cancel_answers)

    @property
    def cancelled(self) -> list[str]:
        """Order numbers it cancelled (asked or on its own)."""
        with self._lock:
            return [a.order_number for a in self._cancel_answers if a.outcome == CancelOutcome.CANCELLED]

    def cancel_at_warehouse(self, order_number: str, reason: str = "") -> CancelOutcome:
        """Cancel an order on the warehouse's own account, and report it in an answer file."""
        return self._cancel(order_number, reason)

    def _arrival_order(self, entry) -> tuple[bool, str]:
        """Inbox files by name, cancellations after orders: a cancellation read in the same round as its
        order (both written since the last round) finds the order taken."""
        return bool(self.format.cancels and self.format.cancel_pattern.match(entry.name)), entry.name

    def _take_cancellation(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError:
            return  # vanished or unreadable: next round
        move_unique(path, self.processed)
        if self.format.acknowledges:
            self._acknowledge(path.name, data)
        parsed = self.format.parse_cancellations(data)
        with self._lock:
            self._errors.extend(f"{path.name}: {e}" for e in parsed.errors)
        for request in parsed.items:
            self._cancel(request.order_number, "")

    def _cancel(self, number: str, reason: str) -> CancelOutcome:
        with self._lock:
            shipped = any(s.order_number == number for s in self._shipped)
            if not shipped:
                self._pending = [p for p in self._pending if p.order.order_number != number]
            outcome = CancelOutcome.TOO_LATE if shipped else CancelOutcome.CANCELLED
        at = datetime.now(UTC).replace(microsecond=0)
        answer = CancelAnswer(number, outcome, at, reason)
        name = write_atomic(self.outbox, self.format.cancel_answer_filename(number, at),
                            self.format.render_cancel_answers([answer]))
        with self._lock:
            self._cancel_answers.append(answer)
        log.info("WMS answered the cancellation of %s: %s (%s)", number, outcome, name)
        return outcome
