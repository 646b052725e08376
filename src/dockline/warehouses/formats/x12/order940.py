"""The 940 Warehouse Shipping Order: Dockline writes it strictly, the simulated warehouse reads it.

Writing follows X12 004010 element by element (docs/formats/x12.md lists each
rule): identifiers that do not fit their element (order number, SKU, SCAC,
facility, city, postal and country codes, state) raise ``RenderError`` naming
the element and the order, so the order stops in Error and nothing
non-conforming is sent; names, address lines and descriptions are shortened
or split where the standard's lengths demand it; notes (NTE) and descriptions
(G69) break at word boundaries. Text is sent in the agreed character set.
"""
from __future__ import annotations

from datetime import datetime

from dockline.core.types import Address, WarehouseLine, WarehouseOrder
from dockline.warehouses.formats.base import Parsed, RenderError
from dockline.warehouses.formats.fields import show, utc
from dockline.warehouses.formats.x12.base import X12Base
from dockline.warehouses.formats.x12.envelope import Segment, TransactionSet
from dockline.warehouses.formats.x12.regions import region_code
from dockline.warehouses.formats.x12.segments import Bad, required, when, whole
from dockline.warehouses.formats.x12.text import pieces, shorten

# Countries whose N402 is the 2-character state or province code; elsewhere a region that is
# not 2 characters goes to N405 "SP" (state/province) + N406.
_STATE_COUNTRIES = ("", "US", "USA", "CA", "CAN")


class Orders940(X12Base):
    """render_orders (940 out) and parse_orders (the warehouse's side)."""

    def render_orders(self, orders: list[WarehouseOrder]) -> bytes:
        sets = [("940", self._order_body(o)) for o in orders]
        return self._interchange("OW", sets, sender=self._us, receiver=self._them)

    def _order_body(self, order: WarehouseOrder) -> list[str]:
        number = self._ident(order.order_number, "W0502 depositor order number", max_len=22)
        where = f"order {number}"

        def ident(value: str, element: str, low: int, high: int) -> str:
            return self._optional_ident(value, f"{element} of {where}", min_len=low, max_len=high)

        if not order.lines:
            raise RenderError("W01", f"{where} has no lines")
        a = order.ship_to
        name, company = shorten(self._text(a.name), 60), shorten(self._text(a.company), 60)
        if not name and not company:
            raise RenderError("N102 ship-to name", f"{where}: the ship-to address has no name or company")
        body = [self._seg("W05", "N", number)]
        body.append(self._seg("N1", "ST", name or company))
        if name and company:
            body.append(self._seg("N2", company))
        lines = pieces(self._text(a.street1), 55) + pieces(self._text(a.street2), 55)
        if len(lines) > 4:
            raise RenderError(f"N3 address of {where}", "the street address needs more than two N3 segments of "
                                                         "2 x 55 characters; shorten it")
        for k in range(0, len(lines), 2):
            body.append(self._seg("N3", *lines[k : k + 2]))
        body.extend(self._n4(a, where, ident))
        body.extend(self._per(order, name, where))
        facility = ident(order.facility or self.facility, "N104 facility", 2, 80)
        if facility:
            body.append(self._seg("N1", "WH", facility))
        placed = utc(order.placed_at)
        body.append(self._seg("G62", "04", f"{placed:%Y%m%d}", "Q", f"{placed:%H%M%S}", "UT"))
        for chunk in pieces(self._text(order.notes), 80):
            body.append(self._seg("NTE", "WHI", chunk))
        carrier = ident(order.carrier, "W6610 SCAC", 2, 4)
        service = self._text(order.service)
        if len(service) > 35:
            raise RenderError(f"W6605 routing of {where}", f"service {show(service)} has {len(service)} characters; "
                                                            "X12 004010 allows 35: map it to a shorter service name")
        if carrier or service:
            body.append(self._seg("W66", "PP", "U", "", "", service, "", "", "", "", carrier))
        body.extend(self._lines(order.lines, where))
        return body

    def _n4(self, a: Address, where: str, ident) -> list[str]:
        city = self._text(a.city)
        if city and not 2 <= len(city) <= 30:
            raise RenderError(f"N401 city of {where}", f"{show(city)} has {len(city)} characters; X12 004010 "
                                                        "allows 2 to 30")
        country = ident(a.country.upper(), "N404 country code", 2, 3)
        postal = ident(self._text(a.postal_code), "N403 postal code", 3, 15)
        state, region = self._text(a.state), ""
        if state and len(state) != 2:
            if country.upper() in _STATE_COUNTRIES:
                state = region_code(a.state)
                if not state:
                    raise RenderError(f"N402 state of {where}", f"{show(a.state)} is not a US state or Canadian "
                                                                "province: N402 takes its 2-character code (e.g. IL, ON)")
            else:
                state, region = "", shorten(state, 30)
        if not (city or state or postal or country or region):
            return []
        return [self._seg("N4", city, state, postal, country, "SP" if region else "", region)]

    def _per(self, order: WarehouseOrder, name: str, where: str) -> list[str]:
        phone = self._text(order.ship_to.phone)
        if len(phone) > 80:
            raise RenderError(f"PER04 phone of {where}", f"{show(phone)} is longer than 80 characters")
        email = str(order.email or order.ship_to.email or "").strip()
        if email and "@" not in self.allowed:
            email = ""  # the basic character set has no "@": the e-mail is not sent (docs/formats/x12.md)
        elif email:
            email = self._ident(email, f"PER06 e-mail of {where}", max_len=80)
        if not phone and not email:
            return []
        contact = ["PER", "IC", name]
        if phone:
            contact += ["TE", phone]
        if email:
            contact += ["EM", email]
        return [self._seg(*contact)]

    def _lines(self, lines: list[WarehouseLine], where: str) -> list[str]:
        body: list[str] = []
        seen: set[int] = set()
        total = 0
        for line in lines:
            if not 1 <= line.quantity < 10**15:
                raise RenderError(f"W0101 quantity of {where} line {line.line_no}",
                                  "must be a whole number from 1 to 15 digits")
            if not 1 <= line.line_no <= 999_999:
                raise RenderError(f"LX01 line number of {where}", f"{line.line_no} must be 1..999999")
            if line.line_no in seen:
                raise RenderError(f"LX01 line number of {where}", f"{line.line_no} appears twice")
            seen.add(line.line_no)
            sku = self._ident(line.sku, f"W0105 SKU of {where} line {line.line_no}", max_len=48)
            body.append(self._seg("LX", str(line.line_no)))
            body.append(self._seg("W01", str(line.quantity), "EA", "", self.sku_qualifier, sku))
            for chunk in pieces(self._text(line.description), 45)[:5]:
                body.append(self._seg("G69", chunk))
            total += line.quantity
        if total >= 10**15:
            raise RenderError(f"W7601 total quantity of {where}", f"{total} is longer than 15 digits")
        body.append(self._seg("W76", str(total)))
        return body

    def parse_orders(self, data: bytes) -> Parsed[WarehouseOrder]:
        return self._parse(data, "940", expect_to=self.receiver_id)

    def _read_940(self, tx: TransactionSet) -> list[WarehouseOrder]:
        number = ""
        placed: datetime | None = None
        ship: dict[str, str] = {}
        facility = carrier = service = email = ""
        notes: list[str] = []
        lines: list[WarehouseLine] = []
        entity = ""
        pending_no: int | None = None
        current: dict | None = None
        declared_total: tuple[int, Segment] | None = None
        first_w05: Segment | None = None

        def finish_line() -> None:
            if current is not None:
                lines.append(WarehouseLine(current["no"], current["sku"], current["qty"], current["desc"]))

        for seg in tx.body:
            sid = seg.id
            if sid not in ("N2", "N3", "N4", "PER"):
                entity = ""
            if sid == "W05":
                if first_w05 is not None:
                    raise Bad("W05 appears twice", seg, seg_code="5")
                first_w05 = seg
                number = required(seg, 2, "depositor order number")
                if seg.el(1).upper() == "F":
                    return []  # W0501 F (Cancel): a cancellation, read by parse_cancellations
            elif sid == "N1":
                entity = seg.el(1).upper()
                if entity == "ST":
                    ship["name"] = seg.el(2)
                elif entity == "WH":
                    facility = seg.el(4) or seg.el(2)
            elif entity == "ST" and sid == "N2":
                ship["company"] = seg.el(1)
            elif entity == "ST" and sid == "N3":
                if "street1" in ship:
                    ship["street2"] = " ".join(p for p in (ship.get("street2", ""), seg.el(1), seg.el(2)) if p)
                else:
                    ship["street1"], ship["street2"] = seg.el(1), seg.el(2)
            elif entity == "ST" and sid == "N4":
                ship["city"], ship["state"], ship["postal_code"], ship["country"] = (
                    seg.el(1), seg.el(2), seg.el(3), seg.el(4))
                if not seg.el(2) and seg.el(5).upper() == "SP":
                    ship["state"] = seg.el(6)  # a region without a 2-character code
            elif entity == "ST" and sid == "PER":
                for q, v in ((3, 4), (5, 6), (7, 8)):
                    kind = seg.el(q).upper()
                    if kind == "TE" and seg.el(v):
                        ship["phone"] = seg.el(v)
                    elif kind == "EM" and seg.el(v):
                        email = seg.el(v)
            elif sid == "G62":
                if seg.el(1) == "04":
                    placed = when(seg, 2, 4, 5, "order date")
            elif sid == "NTE":
                notes.append(seg.el(2))
            elif sid == "W66":
                carrier, service = seg.el(10), seg.el(5)
            elif sid == "LX":
                pending_no = whole(seg, 1, "assigned number", minimum=1)
            elif sid == "W01":
                finish_line()
                qty = whole(seg, 1, "quantity ordered", minimum=1)
                unit = seg.el(2).upper()
                if unit and unit != "EA":
                    raise Bad(f"W0102 unit {show(unit)} is not EA (eaches); only eaches are supported", seg, 2)
                sku = self._sku(seg, ((4, 5), (6, 7), (15, 16)), upc=3)
                no = pending_no if pending_no is not None else len(lines) + 1
                if any(line.line_no == no for line in lines):
                    raise Bad(f"line number {no} appears twice", seg, None)
                current = {"no": no, "sku": sku, "qty": qty, "desc": ""}
                pending_no = None
            elif sid == "G69":
                if current is not None:
                    current["desc"] = " ".join(p for p in (current["desc"], seg.el(1)) if p)
            elif sid == "W76":
                declared_total = (whole(seg, 1, "total quantity ordered", minimum=0), seg)
        finish_line()
        if first_w05 is None:
            raise Bad("the W05 (shipping order identification) segment is missing", missing="W05")
        if placed is None:
            raise Bad("no G62 segment with qualifier 04 (order date) was found", missing="G62")
        if not lines:
            raise Bad("the order has no W01 (line item) segments", missing="W01")
        if declared_total is not None:
            total = sum(line.quantity for line in lines)
            if declared_total[0] != total:
                raise Bad(f"W7601 total quantity {declared_total[0]} does not match the lines' {total}",
                           declared_total[1], 1)
        order = WarehouseOrder(
            order_number=number,
            placed_at=placed,
            ship_to=Address(
                name=ship.get("name", ""),
                company=ship.get("company", ""),
                street1=ship.get("street1", ""),
                street2=ship.get("street2", ""),
                city=ship.get("city", ""),
                state=ship.get("state", ""),
                postal_code=ship.get("postal_code", ""),
                country=ship.get("country", ""),
                phone=ship.get("phone", ""),
            ),
            carrier=carrier,
            service=service,
            lines=lines,
            email=email,
            notes=" ".join(p for p in notes if p),
            facility=facility,
        )
        return [order]
