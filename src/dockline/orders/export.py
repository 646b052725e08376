"""Orders as CSV text, a line at a time: the one writer behind the dashboard's `/orders/export.csv` and
`dockline export orders`.

Which orders and which columns come from `web/order_list.py` (`CSV_HEADER`, `csv_rows`, read in keyset
chunks); this writes them one line at a time, never the whole file in memory, and escapes every cell a
spreadsheet would run as a formula (=, +, -, @ at the start) as `mapping/csv.py` does.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from dockline.mapping.csv import escape_cell


class _Echo:
    """A file whose write returns the line, so csv.writer gives each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The header, then each row, as CSV lines (ending in CRLF) safe to open in a spreadsheet."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([escape_cell(v) for v in row])
