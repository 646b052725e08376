"""The 945 Warehouse Shipping Advice: the warehouse writes it (the simulated WMS), Dockline reads it.

Reading is liberal where trading partners differ and never takes a guess for
data: quantities in cases are converted to eaches only with a known pack size
(a PO4 in the W12 loop, or the ``pack_sizes`` setting); tracking numbers come
from MAN (before or after the W12 of their LX loop) and from tracking-type N9
references; a W12 whose product id qualifier is unknown is refused, never read
as a SKU; the ship date falls back from G62*11 to W0603, another G62, then the
file's GS04/GS05 time. A shipment that cannot be read exactly is left out
whole, with one error naming the element (so nothing is recorded half).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from dockline.core.types import Package, ShipmentLine, WarehouseShipment
from dockline.warehouses.formats.base import Parsed, first_of_each
from dockline.warehouses.formats.fields import show, utc
from dockline.warehouses.formats.x12.base import X12Base
from dockline.warehouses.formats.x12.envelope import Segment, TransactionSet
from dockline.warehouses.formats.x12.segments import (
    Bad,
    inches,
    measure,
    num,
    pounds,
    required,
    when,
    whole,
)

# Product/Service ID qualifiers (element 235) a W12 may carry in W1207, W1217 and W1221.
ID_QUALIFIERS = frozenset({"VN", "SK", "UP", "UK", "UA", "UI", "UN", "EN", "EO", "BP", "IN", "MG", "VP", "CB",
                           "PI", "PN", "CG", "ND", "N4", "ZZ"})
# N9 reference qualifiers (element 128) read as tracking numbers: 2I tracking number, CN carrier's
# reference (PRO), BM bill of lading, 08 carrier-assigned package id, AW air waybill, WY waybill.
TRACKING_REFERENCES = frozenset({"2I", "CN", "BM", "08", "AW", "WY"})
CASE_UNITS = frozenset({"CA", "CS"})
_W12_IDS = ((7, 8), (17, 18), (21, 22))


@dataclass
class _PackageDraft:
    tracking: str = ""
    box: str = ""
    weight: Decimal | None = None
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    has_pal: bool = False

    def build(self) -> Package:
        return Package(self.tracking, self.weight, self.length, self.width, self.height, self.box)


@dataclass
class _Line:
    seg: Segment
    sku: str
    quantity: int
    unit: str
    pack: int | None = None  # PO401 in the W12 loop


@dataclass
class _Advice:
    """What one 945 set said, as read so far."""

    packages: list[_PackageDraft] = field(default_factory=list)
    loop: _PackageDraft | None = None  # the package of the current LX loop
    lines: list[_Line] = field(default_factory=list)
    header_tracking: list[str] = field(default_factory=list)

    def package(self, *, fresh: bool = False) -> _PackageDraft:
        if self.loop is None or fresh:
            self.loop = _PackageDraft()
            self.packages.append(self.loop)
        return self.loop

    def track(self, number: str) -> None:
        """A tracking number for the current LX loop's package (a second one is another package)."""
        pkg = self.package()
        if pkg.tracking and pkg.tracking != number:
            pkg = self.package(fresh=True)
        pkg.tracking = number


class Advice945(X12Base):
    """render_shipments (the warehouse's side) and parse_shipments (945 in)."""

    def render_shipments(self, shipments: list[WarehouseShipment]) -> bytes:
        sets = [("945", self._shipment_body(s)) for s in shipments]
        return self._interchange("SW", sets, sender=self._them, receiver=self._us)

    def _shipment_body(self, s: WarehouseShipment) -> list[str]:
        sid = self._ident(s.shipment_id, "shipment id", charset=False)
        number = self._ident(s.order_number, f"shipment {sid} order number", charset=False)
        if not s.lines:
            raise ValueError(f"shipment {sid} has no lines")
        shipped = utc(s.shipped_at)
        body = [self._seg("W06", "F", number, f"{shipped:%Y%m%d}", sid)]
        body.append(self._seg("N1", "WH", self._optional_ident(self.facility, "facility", charset=False) or self.receiver_id))
        body.append(self._seg("G62", "11", f"{shipped:%Y%m%d}", "8", f"{shipped:%H%M%S}", "UT"))
        carrier = self._optional_ident(s.carrier, "carrier", charset=False)
        service = self._plain(s.service).strip()
        if carrier or service:
            body.append(self._seg("W27", "U", carrier, service))
        loops: list[list[str]] = []
        for i, p in enumerate(s.packages, start=1):
            loop = [self._seg("LX", str(i))]
            tracking = self._optional_ident(p.tracking_number, f"shipment {sid} tracking number", charset=False)
            box = self._optional_ident(p.box_id, f"shipment {sid} box id", charset=False)
            if tracking:
                loop.append(self._seg("MAN", "CP", tracking, "", "ZZ" if box else "", box))
            elif box:
                loop.append(self._seg("MAN", "ZZ", box))
            dims = (p.weight, p.length, p.width, p.height)
            for v in dims:
                if v is not None and v < 0:
                    raise ValueError(f"shipment {sid}: package weights and dimensions must not be negative")
            if any(v is not None for v in dims):
                lw = [num(v) if v is not None else "" for v in (p.length, p.width, p.height)]
                pal = ["PAL", "", "", "", "", "", "", *lw, "IN" if any(lw) else "",
                       num(p.weight) if p.weight is not None else "", "LB" if p.weight is not None else ""]
                loop.append(self._seg(*pal))
            if len(loop) == 1:
                raise ValueError(f"shipment {sid}: package {i} has no tracking number, box id, weight or size")
            loops.append(loop)
        items = []
        total = 0
        for line in s.lines:
            if line.quantity < 1:
                raise ValueError(f"shipment {sid}: quantity of {line.sku} must be at least 1")
            sku = self._ident(line.sku, f"shipment {sid} SKU", charset=False)
            items.append(self._seg("W12", "CC", "", str(line.quantity), "", "EA", "", self.sku_qualifier, sku))
            total += line.quantity
        if not loops:
            loops.append([self._seg("LX", "1")])
        loops[0].extend(items)
        for loop in loops:
            body.extend(loop)
        weights = [p.weight for p in s.packages if p.weight is not None]
        w03 = ["W03", str(total), num(sum(weights, Decimal(0))) if weights else "", "LB" if weights else ""]
        if s.packages:
            w03 += ["", "", str(len(s.packages)), "CT"]
        body.append(self._seg(*w03))
        return body

    def parse_shipments(self, data: bytes) -> Parsed[WarehouseShipment]:
        result = self._parse(data, "945", expect_to=self.sender_id)
        return first_of_each(result, lambda s: s.shipment_id,
                             lambda s: f"shipment {s.shipment_id} appears twice in the file; the second one was "
                                       "not read")

    def _read_945(self, tx: TransactionSet) -> list[WarehouseShipment]:
        w06: Segment | None = None
        number = sid = ""
        dates: dict[str, datetime] = {}  # "G62*11", "W0603", "G62": the ship date candidates
        carrier = service = ""
        advice = _Advice()
        in_lx = in_items = False
        totals: tuple[int, Segment] | None = None
        for seg in tx.body:
            t = seg.id
            if t == "W06":
                if w06 is not None:
                    raise Bad("W06 appears twice", seg, seg_code="5")
                w06 = seg
                number = required(seg, 2, "depositor order number")
                sid = required(seg, 4, "shipment identification number")
                if seg.el(3):
                    dates["W0603"] = when(seg, 3, None, None, "shipment date")
            elif t == "G62":
                key = "G62*11" if seg.el(1) == "11" else "G62"
                if key not in dates and seg.el(2):
                    dates[key] = when(seg, 2, 4, 5, "ship date" if key == "G62*11" else "date")
            elif t == "W27":
                carrier, service = seg.el(2), seg.el(3)
            elif t == "LX":
                advice.loop = None
                in_lx, in_items = True, False
            elif t == "MAN":
                self._man(seg, advice)
            elif t == "N9":
                if seg.el(1).upper() in TRACKING_REFERENCES and seg.el(2):
                    if in_lx:
                        advice.track(seg.el(2))
                    elif seg.el(2) not in advice.header_tracking:
                        advice.header_tracking.append(seg.el(2))
            elif t == "PAL" and not in_items:
                self._pal(seg, advice)
            elif t == "MEA" and not in_items:  # after a W12 a MEA measures the item, not the package
                self._mea(seg, advice)
            elif t == "W12":
                in_items = True
                advice.lines.append(self._w12(seg))
            elif t == "PO4" and in_items and advice.lines:
                advice.lines[-1].pack = whole(seg, 1, "pack (units per case)", minimum=1, required=False)
            elif t == "W03":
                totals = (whole(seg, 1, "number of units shipped", minimum=0), seg)
        if w06 is None:
            raise Bad("the W06 (warehouse shipment identification) segment is missing", missing="W06")
        shipped = dates.get("G62*11") or dates.get("W0603") or dates.get("G62") or self._file_time(tx)
        if shipped is None:
            raise Bad("no ship date: no W0603, no G62 and no GS04 file date", missing="G62")
        if not advice.lines:
            raise Bad(f"shipment {sid} of order {number} carried no line detail (no W12 segment, a freight "
                      "summary): nothing was recorded; ask the warehouse for a 945 with W12 lines", missing="W12")
        quantities: dict[str, int] = {}
        for line in advice.lines:
            if line.quantity:
                quantities[line.sku] = quantities.get(line.sku, 0) + self._eaches(line)
        if not quantities:
            raise Bad(f"shipment {sid} has no W12 line with a shipped quantity", missing="W12")
        shipped_units = sum(line.quantity for line in advice.lines)
        if totals is not None and totals[0] not in (shipped_units, sum(quantities.values())):
            raise Bad(f"W0301 says {totals[0]} units shipped but the W12 lines add up to {shipped_units}",
                      totals[1], 1)
        known = {p.tracking for p in advice.packages}
        packages = [p.build() for p in advice.packages]
        packages += [Package(t) for t in advice.header_tracking if t not in known]
        return [WarehouseShipment(sid, number, shipped, carrier, service, packages,
                                  [ShipmentLine(sku, qty) for sku, qty in quantities.items()])]

    def _w12(self, seg: Segment) -> _Line:
        shipped = whole(seg, 3, "number of units shipped", minimum=0)
        unit = seg.el(5).upper() or "EA"
        if unit != "EA" and unit not in CASE_UNITS:
            raise Bad(f"W1205 unit {show(unit)} is not EA (eaches) or CA/CS (cases)", seg, 5)
        upc = seg.el(6)
        if upc and not (upc.isdigit() and len(upc) == 12):
            raise Bad(f"W1206 UPC case code {show(upc)} is not 12 digits; the W12 may be shifted: line not read",
                      seg, 6, el_code="6")
        usable = []
        for q, v in _W12_IDS:
            qualifier, value = seg.el(q).upper(), seg.el(v)
            if qualifier and value and qualifier in ID_QUALIFIERS:
                usable.append((q, v))
            elif (qualifier or value) and (q == 7 or not usable):
                # W1207/08 must be right; a later pair only matters when no earlier one is usable.
                if qualifier and qualifier not in ID_QUALIFIERS:
                    raise Bad(f"W12{q:02d} product/service ID qualifier {show(seg.el(q))} is not a known qualifier "
                              f"({', '.join(sorted(ID_QUALIFIERS))}); the W12 may be shifted: line not read", seg, q)
                empty, other = (v, q) if qualifier else (q, v)
                raise Bad(f"W12{empty:02d} is empty but W12{other:02d} is {show(qualifier or value)}: line not read",
                          seg, empty, el_code="2")
        return _Line(seg, self._sku(seg, tuple(usable) or _W12_IDS, upc=6), int(shipped or 0), unit)

    def _eaches(self, line: _Line) -> int:
        if line.unit == "EA":
            return line.quantity
        pack = line.pack or self.pack_sizes.get(line.sku)
        if pack is None:
            raise Bad(f"W1205 unit {line.unit} for SKU {line.sku}: pack size unknown; set it in the warehouse's "
                      f"format settings under pack_sizes (units per case, e.g. {{\"{line.sku}\": 12}}) or ask the "
                      "warehouse to send a PO4 with the pack or quantities in eaches", line.seg, 5)
        return line.quantity * pack

    def _file_time(self, tx: TransactionSet) -> datetime | None:
        date, time = tx.sent
        if not date:
            return None
        gs = Segment("GS", ["GS", "", "", "", date, time], tx.pos - 1)
        return when(gs, 4, 5, None, "group date")

    @staticmethod
    def _man(seg: Segment, advice: _Advice) -> None:
        qualifier, value = seg.el(1).upper(), seg.el(2)
        if not value:
            raise Bad("MAN02 marks and numbers is empty", seg, 2, el_code="1")
        pairs = [(qualifier, value)]
        if seg.el(4) and seg.el(5):
            pairs.append((seg.el(4).upper(), seg.el(5)))
        first = True
        for q, v in pairs:
            attr = "tracking" if q == "CP" else "box"
            pkg = advice.package(fresh=first and advice.loop is not None and bool(getattr(advice.loop, attr))
                                 and getattr(advice.loop, attr) != v)
            if not getattr(pkg, attr):
                setattr(pkg, attr, v)
            first = False

    @staticmethod
    def _pal(seg: Segment, advice: _Advice) -> None:
        pkg = advice.package(fresh=advice.loop is not None and advice.loop.has_pal)
        pkg.has_pal = True
        unit = seg.el(10).upper()
        for n, attr in ((7, "length"), (8, "width"), (9, "height")):
            value = measure(seg, n, attr)
            if value is not None:
                setattr(pkg, attr, inches(value, unit, seg, 10))
        weight, w_unit_n = measure(seg, 11, "gross weight per pack"), 12
        if weight is None:
            weight, w_unit_n = measure(seg, 5, "unit weight"), 6
        if weight is not None:
            pkg.weight = pounds(weight, seg.el(w_unit_n).upper(), seg, w_unit_n)

    @staticmethod
    def _mea(seg: Segment, advice: _Advice) -> None:
        pkg = advice.package()
        qualifier = seg.el(2).upper()
        value = measure(seg, 3, "measurement value")
        unit = seg.component(4).upper()
        if value is None:
            return
        if qualifier in ("G", "WT", "N"):
            pkg.weight = pounds(value, unit, seg, 4)
        elif qualifier in ("LN", "WD", "HT"):
            setattr(pkg, {"LN": "length", "WD": "width", "HT": "height"}[qualifier], inches(value, unit, seg, 4))
