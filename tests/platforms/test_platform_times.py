"""The platforms' ISO 8601 times, read once for every connector (`platforms/base.py` `parse_time`)."""
from datetime import UTC, datetime

import pytest

from dockline.platforms.base import parse_time


@pytest.mark.parametrize(("written", "read"), [
    ("2026-03-04T05:06:07Z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)),
    ("2026-03-04T07:06:07+02:00", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)),
    ("2026-03-04T05:06:07.123", datetime(2026, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)),  # no offset: UTC
])
def test_a_store_time_with_or_without_an_offset_is_read_in_utc(written, read):
    assert parse_time(written) == read


@pytest.mark.parametrize("unreadable", [None, "", "next Tuesday", "2026-13-01T00:00:00Z"])
def test_an_absent_or_unreadable_store_time_is_none_rather_than_an_error(unreadable):
    assert parse_time(unreadable) is None
