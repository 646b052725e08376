"""ANSI X12 004010 warehouse documents: 940 out; 945, 846, 870 in; 997 both ways.

See docs/formats/x12.md for every segment and rule. In short:

* ``940_<order>_<yymmddhhmmss>.edi`` — Warehouse Shipping Order (GS01 ``OW``),
  one transaction set per order, written strictly (``order940``).
* ``945_*.edi`` — Warehouse Shipping Advice (``SW``), one set per shipment,
  read liberally but never guessed (``advice945``).
* ``846_*.edi`` — Inventory Inquiry/Advice (``IB``), a full snapshot (``inventory846``).
* ``940_CXL-<order>_<yymmddhhmmss>.edi`` — a cancellation: the 940 again with W0501 ``F``;
  ``870_*.edi`` — Order Status Report (``RS``), the warehouse's answer (``cancel870``).
* ``997_*.edi`` — Functional Acknowledgment (``FA``), one set per group (``ack997``).

The envelope (delimiters from the ISA, ISA/GS/ST checks, the GS08 version)
lives in ``envelope``; element readers in ``segments`` over the shared
``formats/fields.py``; settings, control numbers and the reading loop in
``base``. Parsing never raises: problems become ``RowError`` entries naming
the segment and element, and a bad transaction set is left out whole.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from dockline.warehouses.formats.base import FileFormat, register
from dockline.warehouses.formats.x12.ack997 import Ack997, FunctionalAck, SetAck
from dockline.warehouses.formats.x12.advice945 import Advice945
from dockline.warehouses.formats.x12.base import (
    ControlNumbers,
    Envelope,
    MemoryControlNumbers,
)
from dockline.warehouses.formats.x12.cancel870 import Cancellations870
from dockline.warehouses.formats.x12.envelope import (
    Delimiters,
    FunctionalGroup,
    TransactionSet,
    X12Interchange,
)
from dockline.warehouses.formats.x12.inventory846 import Inventory846
from dockline.warehouses.formats.x12.order940 import Orders940


@register
class X12Format(Cancellations870, Orders940, Advice945, Inventory846, Ack997, FileFormat):
    """X12 004010 940/945/846/870/997.

    settings: ``sender_id`` (Dockline's interchange id, default "DOCKLINE"),
    ``sender_qualifier`` ("ZZ"), ``receiver_id`` (the warehouse's, default
    "WAREHOUSE"), ``receiver_qualifier`` ("ZZ"), ``usage`` ("P" or "T"),
    ``facility`` (warehouse facility id), and optionally ``sku_qualifier``
    ("VN"), ``character_set`` ("basic" or "extended"), ``pack_sizes`` (SKU ->
    units per case, for 945 lines in cases), ``element_separator`` ("*"),
    ``subelement_separator`` (">"), ``segment_terminator`` ("~"), ``newline``
    (True: a line break after each segment), ``strict_ids`` (False: True
    refuses files not addressed to us).
    """

    name: ClassVar[str] = "x12"
    label: ClassVar[str] = "X12 004010"
    order_pattern: ClassVar[re.Pattern] = re.compile(r"^940_[A-Za-z0-9_.-]+\.edi$")
    shipment_pattern: ClassVar[re.Pattern] = re.compile(r"^945_[A-Za-z0-9_.-]+\.edi$")
    inventory_pattern: ClassVar[re.Pattern] = re.compile(r"^846_[A-Za-z0-9_.-]+\.edi$")
    acknowledges: ClassVar[bool] = True  # a 997 answers each file read; the warehouse's 997s are read
    ack_pattern: ClassVar[re.Pattern] = re.compile(r"^997_[A-Za-z0-9_.-]+\.edi$")
    inventory_is_snapshot: ClassVar[bool] = True

    def _readers(self) -> dict[str, Callable]:
        return {"940": self._read_940, "945": self._read_945, "846": self._read_846, "870": self._read_870,
                "997": self._read_997}


__all__ = [
    "ControlNumbers",
    "Delimiters",
    "Envelope",
    "FunctionalAck",
    "FunctionalGroup",
    "MemoryControlNumbers",
    "SetAck",
    "TransactionSet",
    "X12Format",
    "X12Interchange",
]
