"""The 846 Inventory Inquiry/Advice: the warehouse writes it (the simulated WMS), Dockline reads it.

A full snapshot: ``QTY*33`` is the quantity available for sale (what goes to
stores), ``QTY*17`` the quantity on hand. A bad line item (LIN loop) is left
out alone and reported; the other SKUs are read. A LIN without ``QTY*33``
is reported as a missing QTY segment (in words and in the 997).
"""
from __future__ import annotations

from datetime import datetime

from dockline.core.types import StockLevel
from dockline.warehouses.formats.base import Parsed, first_of_each
from dockline.warehouses.formats.fields import show, utc
from dockline.warehouses.formats.x12.base import X12Base
from dockline.warehouses.formats.x12.envelope import Segment, TransactionSet
from dockline.warehouses.formats.x12.segments import Bad, when, whole

QTY_AVAILABLE = "33"  # Quantity Available for Sale (stock quantity)
QTY_ON_HAND = "17"  # Quantity on Hand


def _at(facility: str) -> str:
    return f" at facility {facility!r}" if facility else ""


class Inventory846(X12Base):
    """render_inventory (the warehouse's side) and parse_inventory (846 in)."""

    def render_inventory(self, levels: list[StockLevel]) -> bytes:
        runs: list[tuple[str, list[StockLevel]]] = []
        for level in levels:
            facility = level.facility or self.facility
            if runs and runs[-1][0] == facility:
                runs[-1][1].append(level)
            else:
                runs.append((facility, [level]))
        sets = [("846", self._inventory_body(facility, run)) for facility, run in runs]
        return self._interchange("IB", sets, sender=self._them, receiver=self._us)

    def _inventory_body(self, facility: str, levels: list[StockLevel]) -> list[str]:
        stamps = [utc(level.as_of) for level in levels if level.as_of is not None]
        at = stamps[0] if stamps else utc(self.clock())
        body = [self._seg("BIA", "00", "DD", f"INV{at:%Y%m%d%H%M%S}", f"{at:%Y%m%d}", f"{at:%H%M%S}")]
        facility = self._optional_ident(facility, "facility", charset=False)
        if facility:
            body.append(self._seg("N1", "WH", facility))
        for level in levels:
            sku = self._ident(level.sku, "SKU", charset=False)
            if level.on_hand < 0:
                raise ValueError(f"SKU {sku}: on hand must not be negative")
            body.append(self._seg("LIN", "", self.sku_qualifier, sku))
            if level.as_of is not None:
                when = utc(level.as_of)
                body.append(self._seg("DTM", "007", f"{when:%Y%m%d}", f"{when:%H%M%S}", "UT"))
            body.append(self._seg("QTY", QTY_ON_HAND, str(level.on_hand), "EA"))
            body.append(self._seg("QTY", QTY_AVAILABLE, str(level.available), "EA"))
        body.append(self._seg("CTT", str(len(levels))))
        return body

    def parse_inventory(self, data: bytes) -> Parsed[StockLevel]:
        result = self._parse(data, "846", expect_to=self.sender_id)
        return first_of_each(result, lambda level: (level.sku, level.facility),
                             lambda level: f"SKU {level.sku!r}{_at(level.facility)} is listed twice; the second "
                                           "was not read")

    def _read_846(self, tx: TransactionSet) -> tuple[list[StockLevel], list[Bad]]:
        report_at: datetime | None = None
        bia: Segment | None = None
        facility = ""
        items: list[StockLevel] = []
        problems: list[Bad] = []
        item: dict | None = None
        lin_count = 0
        ctt: tuple[int, Segment] | None = None
        in_header = True

        def finish() -> None:
            nonlocal item
            if item is None:
                return
            draft, item = item, None
            if draft.get("bad"):
                return
            seg = draft["seg"]
            if draft.get("available") is None:
                problems.append(Bad(f"LIN for SKU {draft['sku']!r} has no QTY*{QTY_AVAILABLE} (quantity available) "
                                    "segment; SKU not read", missing="QTY", after=seg))
                return
            on_hand = draft.get("on_hand")
            if on_hand is None:
                on_hand = max(draft["available"], 0)
            items.append(StockLevel(draft["sku"], on_hand, draft["available"], draft.get("facility", facility),
                                    draft.get("as_of") or report_at))

        for seg in tx.body:
            t = seg.id
            try:
                if t == "BIA":
                    bia = seg
                    report_at = when(seg, 4, 5, None, "report date")
                elif t == "N1" and seg.el(1).upper() == "WH":
                    value = seg.el(4) or seg.el(2)
                    if in_header:
                        facility = value
                    elif item is not None:
                        item["facility"] = value
                elif t == "LIN":
                    finish()
                    in_header = False
                    lin_count += 1
                    item = {"seg": seg, "sku": ""}
                    item["sku"] = self._sku(seg, tuple((q, q + 1) for q in range(2, 31, 2)))
                elif t == "CTT":
                    finish()
                    ctt = (whole(seg, 1, "number of line items", minimum=0), seg)
                elif item is not None and item.get("bad"):
                    continue
                elif t == "DTM" and item is not None:
                    if seg.el(1) == "007":
                        item["as_of"] = when(seg, 2, 3, 4, "effective date")
                elif t == "QTY" and item is not None:
                    qualifier = seg.el(1)
                    unit = seg.component(3).upper()
                    if qualifier in (QTY_AVAILABLE, QTY_ON_HAND) and unit and unit != "EA":
                        raise Bad(f"QTY03 unit {show(unit)} is not EA (eaches); only eaches are supported", seg, 3)
                    if qualifier == QTY_AVAILABLE:
                        item["available"] = whole(seg, 2, "quantity available")
                    elif qualifier == QTY_ON_HAND:
                        item["on_hand"] = whole(seg, 2, "quantity on hand", minimum=0)
            except Bad as bad:
                if item is None:
                    raise
                sku = item.get("sku")
                bad.reason += f" (SKU {sku!r} not read)" if sku else " (line item not read)"
                problems.append(bad)
                item["bad"] = True
        finish()
        if bia is None:
            raise Bad("the BIA (beginning segment for inventory inquiry/advice) segment is missing", missing="BIA")
        if ctt is not None and ctt[0] != lin_count:
            raise Bad(f"CTT01 says {ctt[0]} line items but the set has {lin_count} LIN segments", ctt[1], 1)
        return items, problems
