"""DSFX cancellation files: Dockline's request, and the warehouse's cancellation confirmation.

* ``cxl_<order>_<yymmddhhmmss>.csv`` (Dockline writes, in the inbox) — a header row
  ``order_number,requested_at,reason``, then one row per warehouse order to cancel.
* ``cxa_<order>_<yymmddhhmmss>.csv`` (the warehouse writes, in the outbox) — a header row
  ``order_number,status,answered_at,reason``, then one row per order: ``status`` is
  ``cancelled`` (nothing of it ships) or ``too_late`` (it already shipped; ``shipped`` is taken too).
  A row for an order Dockline did not ask about reports a cancellation made at the warehouse.

Parsing never raises: a bad row becomes a RowError naming the line, the column and the value.
See docs/formats/dsfx.md.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import ClassVar

from dockline.core.types import CancelAnswer, CancelRequest
from dockline.warehouses.formats.base import FileError, Parsed, RowError, decode_text
from dockline.warehouses.formats.cancellations import CancelNames, Read, check_requests, read_answer, read_request
from dockline.warehouses.formats.fields import FieldError, utc

REQUEST_COLUMNS = ("order_number", "requested_at", "reason")
ANSWER_COLUMNS = ("order_number", "status", "answered_at", "reason")


def _iso(at: datetime) -> str:
    return utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _columns(cell: dict[str, str]) -> Read:
    """`read` for one row: a column's cell through its reader, the error naming the column."""
    return lambda reader, column: reader(cell[column], column)


def _read(data: bytes, columns: tuple[str, ...], kind: str, build) -> Parsed:
    """Rows under a header naming `columns` (in any order), each built by `build(read)` reading a
    column's cell; never raises."""
    result: Parsed = Parsed()
    try:
        text = decode_text(data)
        rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
                if any(cell.strip() for cell in row)]
        if not rows:
            raise FileError(f"file is empty: no {kind} header row")
        names = [h.strip().lower() for h in rows[0][1]]
        missing = [c for c in columns if c not in names]
        if missing:
            raise FileError(f"no {kind} header row: the first row must name the columns ({', '.join(columns)}); "
                            f"missing {', '.join(missing)}", rows[0][0])
        at = {c: names.index(c) for c in columns}
        for line, row in rows[1:]:
            cell = {c: row[i] if i < len(row) else "" for c, i in at.items()}
            try:
                result.items.append(build(_columns(cell)))
            except FieldError as bad:
                result.errors.append(RowError(line, str(bad)))
    except FileError as bad:
        result.items = []
        result.errors.append(bad.error)
    except csv.Error as exc:
        result.items = []
        result.errors.append(RowError(None, f"the file is not valid CSV ({exc})"))
    return result


class DsfxCancellations(CancelNames):
    """The cancellation hooks of `DsfxFormat` (which supplies `extension`)."""

    cancel_pattern: ClassVar[re.Pattern] = re.compile(r"^cxl_[A-Za-z0-9_.-]+\.csv$")
    cancel_answer_pattern: ClassVar[re.Pattern] = re.compile(r"^cxa_[A-Za-z0-9_.-]+\.csv$")

    def render_cancellations(self, requests: list[CancelRequest]) -> bytes:
        check_requests(requests)
        return _write(REQUEST_COLUMNS, [[r.order_number, _iso(r.requested_at), r.reason] for r in requests])

    def parse_cancellations(self, data: bytes) -> Parsed[CancelRequest]:
        return _read(data, REQUEST_COLUMNS, "cancellation", read_request)

    def render_cancel_answers(self, answers: list[CancelAnswer]) -> bytes:
        return _write(ANSWER_COLUMNS, [[a.order_number, str(a.outcome), _iso(a.answered_at), a.reason]
                                       for a in answers])

    def parse_cancel_answers(self, data: bytes) -> Parsed[CancelAnswer]:
        return _read(data, ANSWER_COLUMNS, "cancellation answer", read_answer)
