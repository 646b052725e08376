"""Cancellations in X12 004010: a 940 with W0501 "F" (Cancel) out, an 870 Order Status Report back.

Dockline asks the warehouse to cancel an order by sending the 940 again with the Order Status
Code (W0501, element 473) "F" = Cancel in place of "N" = Original. Element 473 is one character:
"01" (Cancellation) belongs to element 353, Transaction Set Purpose Code, which the 940 does not
carry. The warehouse's 997 says the file arrived; the answer itself comes as an 870 Order Status
Report (GS01 "RS"), the set 3PLs use to report an order's status outside a shipment:

    BSR*3*PP*<order number>*<CCYYMMDD>***<HHMMSS>   3 = unsolicited report, PP = selected order
    HL*1**O                                         one order level per order reported
    PRF*<depositor order number>                    the W0502 of the 940
    ISR*DE*<CCYYMMDD>                               DE = Deleted Order (cancelled),
                                                    CC = Shipment Complete on (date) (too late)

An 870 for an order Dockline did not ask about reports a cancellation made at the warehouse. A 945
is never used for this: it advises a shipment, and a cancelled order has none. Reading follows the
other sets: never raises, each problem names the segment and element. See docs/formats/x12.md.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import ClassVar

from dockline.core.types import CancelAnswer, CancelOutcome, CancelRequest
from dockline.warehouses.formats.base import Parsed, RenderError, stamped_name
from dockline.warehouses.formats.fields import show, utc
from dockline.warehouses.formats.x12.envelope import TransactionSet
from dockline.warehouses.formats.x12.order940 import Orders940
from dockline.warehouses.formats.x12.segments import Bad, required, when

CANCEL = "F"  # W0501 Order Status Code (473): Cancel
# ISR01 Shipment/Order Status Code (368) read as each outcome; the first of each is what is written.
CANCELLED_CODES = ("DE", "IC", "CU")  # Deleted Order, Item Canceled, Cancelled Line Item
TOO_LATE_CODES = ("CC", "CL", "CP", "PR", "SL")  # complete / partial shipment / shipped to date


class Cancellations870(Orders940):
    """render_cancellations (940 "F" out), parse_cancel_answers (870 in), and the warehouse's side."""

    cancels: ClassVar[bool] = True
    cancel_pattern: ClassVar[re.Pattern] = re.compile(r"^940_CXL-[A-Za-z0-9_.-]+\.edi$")
    cancel_answer_pattern: ClassVar[re.Pattern] = re.compile(r"^870_[A-Za-z0-9_.-]+\.edi$")

    def cancellation_filename(self, order_number: str, at: datetime) -> str:
        return stamped_name("940", f"CXL-{order_number}", "order number", at, "edi")

    def cancel_answer_filename(self, order_number: str, at: datetime) -> str:
        return stamped_name("870", order_number, "order number", at, "edi")

    # -- Dockline's side -------------------------------------------------------------------

    def render_cancellations(self, requests: list[CancelRequest]) -> bytes:
        """The 940 as first sent, with W0501 "F": the warehouse matches it by W0502 and sees what it cancels."""
        sets = []
        for r in requests:
            if r.order is None:
                raise RenderError("W0502", f"the cancellation of order {r.order_number} lacks the order as sent")
            body = self._order_body(r.order)
            body[0] = self._seg("W05", CANCEL, self._ident(r.order_number, "W0502 depositor order number",
                                                           max_len=22))
            sets.append(("940", body))
        return self._interchange("OW", sets, sender=self._us, receiver=self._them)

    def parse_cancel_answers(self, data: bytes) -> Parsed[CancelAnswer]:
        return self._parse(data, "870", expect_to=self.sender_id)

    def _read_870(self, tx: TransactionSet) -> list[CancelAnswer]:
        answers: list[CancelAnswer] = []
        reported: datetime | None = None
        number = ""
        for seg in tx.body:
            if seg.id == "BSR":
                reported = when(seg, 4, 7, None, "date") if seg.el(7) else when(seg, 4, None, None, "date")
            elif seg.id == "HL":
                number = ""
            elif seg.id == "PRF":
                number = required(seg, 1, "purchase order number")
            elif seg.id == "ISR":
                if not number:
                    raise Bad("ISR comes before the PRF that names its order", seg, 1, seg_code="7")
                code = required(seg, 1, "shipment/order status code").upper()
                if code in CANCELLED_CODES:
                    result = CancelOutcome.CANCELLED
                elif code in TOO_LATE_CODES:
                    result = CancelOutcome.TOO_LATE
                else:
                    raise Bad(f"ISR01 shipment/order status code {show(code)} is neither cancelled "
                              f"({', '.join(CANCELLED_CODES)}) nor shipped ({', '.join(TOO_LATE_CODES)})", seg, 1)
                # answered when reported (BSR04/BSR07); ISR02 is the day only
                at = reported or (when(seg, 2, None, None, "date") if seg.el(2) else datetime.now(UTC))
                answers.append(CancelAnswer(number, result, at))
        if reported is None:
            raise Bad("the BSR (beginning segment for order status report) is missing", missing="BSR")
        if not answers:
            raise Bad("the report has no ISR (item status report) segment", missing="ISR")
        return answers

    # -- the warehouse's side ---------------------------------------------------------------

    def parse_cancellations(self, data: bytes) -> Parsed[CancelRequest]:
        return self._parse(data, "940", expect_to=self.receiver_id, reader=self._read_940_cancel)

    def _read_940_cancel(self, tx: TransactionSet) -> list[CancelRequest]:
        w05 = next((seg for seg in tx.body if seg.id == "W05"), None)
        if w05 is None:
            raise Bad("the W05 (shipping order identification) segment is missing", missing="W05")
        if w05.el(1).upper() != CANCEL:
            return []  # an original order, read by parse_orders
        return [CancelRequest(required(w05, 2, "depositor order number"), datetime.now(UTC))]

    def render_cancel_answers(self, answers: list[CancelAnswer]) -> bytes:
        sets = []
        for a in answers:
            number = self._ident(a.order_number, "PRF01 order number", charset=False)
            at = utc(a.answered_at)
            code = CANCELLED_CODES[0] if a.outcome == CancelOutcome.CANCELLED else TOO_LATE_CODES[0]
            sets.append(("870", [
                self._seg("BSR", "3", "PP", number[:30], f"{at:%Y%m%d}", "", "", f"{at:%H%M%S}"),
                self._seg("HL", "1", "", "O"),
                self._seg("PRF", number),
                self._seg("ISR", code, f"{at:%Y%m%d}"),
            ]))
        return self._interchange("RS", sets, sender=self._them, receiver=self._us)
