"""DSFX and JSON cancellation files: written, read back, and a malformed answer named by its field."""
from datetime import UTC, datetime

import pytest

from dockline.core.types import CancelAnswer, CancelOutcome, CancelRequest
from dockline.warehouses.formats.dsfx import DsfxFormat
from dockline.warehouses.formats.jsonfmt import JsonFormat

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
FORMATS = [DsfxFormat, JsonFormat]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cancellation_and_its_answers_read_back_as_written(fmt):
    f = fmt()
    request = CancelRequest("1001-2", AT, "customer asked, twice")
    assert f.parse_cancellations(f.render_cancellations([request])).items == [request]
    answers = [CancelAnswer("1001-2", CancelOutcome.CANCELLED, AT, "done"), CancelAnswer("7", CancelOutcome.TOO_LATE, AT)]
    parsed = f.parse_cancel_answers(f.render_cancel_answers(answers))
    assert parsed.errors == [] and parsed.items == answers
    assert f.cancel_pattern.match(f.cancellation_filename("1001-2", AT))
    assert f.cancel_answer_pattern.match(f.cancel_answer_filename("1001-2", AT))
    assert not f.order_pattern.match(f.cancellation_filename("1001-2", AT))


@pytest.mark.parametrize(("fmt", "bad", "named"), [
    (DsfxFormat, b"order_number,status,answered_at,reason\r\n1001,,2026-01-01T00:00:00Z,\r\n", "line 2: status is empty"),
    (DsfxFormat, b"order_number,status,answered_at,reason\r\n1001,cancelled,yesterday,\r\n",
     "line 2: answered_at 'yesterday' is not an ISO 8601"),
    (DsfxFormat, b"order_number,outcome\r\n1001,cancelled\r\n", "missing status, answered_at, reason"),
    (JsonFormat, b'{"version": 1, "cancellation_status": [{"order_number": "1001", "status": 3, '
                 b'"answered_at": "2026-01-01T00:00:00Z"}]}', "cancellation_status[0].status 3 is not cancelled"),
    (JsonFormat, b'{"version": 1, "cancellation_status": [{"status": "cancelled", '
                 b'"answered_at": "2026-01-01T00:00:00Z"}]}', "cancellation_status[0].order_number is empty"),
    (JsonFormat, b"\xff\xfe", "not UTF-8"),
])
def test_a_malformed_answer_never_raises_and_names_the_field(fmt, bad, named):
    parsed = fmt().parse_cancel_answers(bad)
    assert parsed.items == []
    assert any(named in str(e) for e in parsed.errors), parsed.errors


def test_a_good_answer_row_is_read_beside_a_bad_one():
    data = (b"order_number,status,answered_at,reason\r\n1001,cancelled,2026-01-01T00:00:00Z,\r\n"
            b"1002,perhaps,2026-01-01T00:00:00Z,\r\n")
    parsed = DsfxFormat().parse_cancel_answers(data)
    assert [a.order_number for a in parsed.items] == ["1001"]
    assert [e.line for e in parsed.errors] == [3]
