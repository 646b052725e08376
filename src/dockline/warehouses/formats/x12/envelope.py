"""The X12 envelope: delimiters, segments, and the ISA/GS/ST layers around them.

`tokenize` reads the delimiters from the ISA segment (element separator at
position 4, sub-element separator at 105, segment terminator at 106; the 16th
element separator when the ISA is not padded) and splits the text into
segments; line breaks after terminators are ignored. `build_envelopes` nests
them into interchanges, groups and sets and records every envelope violation
(control numbers, counts, missing trailers, the GS08 version) where it
belongs, with the 997 codes that report it. Nothing here raises but
:class:`FileError` for a file that is no interchange at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockline.warehouses.formats.base import FileError, RowError
from dockline.warehouses.formats.fields import show

# ISA element separator positions when every field has its fixed width.
_ISA_SEPARATORS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_ISA_LENGTH = 106
DIGITS = re.compile(r"^[0-9]+$")
READ_VERSION = "004010"  # GS08 of the groups read; another version is refused whole


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    subelement: str = ">"
    segment: str = "~"


@dataclass
class Segment:
    id: str
    elements: list[str]  # elements[0] is the segment id
    pos: int  # position in the file, ISA = 1
    sub: str = ">"  # the file's sub-element separator, for composite elements

    def component(self, n: int, k: int = 1) -> str:
        """Component k (1-based) of composite element n, stripped."""
        parts = self.el(n).split(self.sub)
        return parts[k - 1].strip() if k - 1 < len(parts) else ""

    def el(self, n: int) -> str:
        """Element n (1-based), stripped; "" when absent."""
        return self.elements[n].strip() if n < len(self.elements) else ""

    def raw(self, n: int) -> str:
        return self.elements[n] if n < len(self.elements) else ""


@dataclass
class TransactionSet:
    set_id: str  # ST01
    control: str  # ST02
    segments: list[Segment]  # ST .. SE inclusive (SE absent when missing)
    pos: int
    errors: list[RowError] = field(default_factory=list)  # envelope violations: the set is not read
    ak5_codes: list[str] = field(default_factory=list)
    sent: tuple[str, str] = ("", "")  # GS04 date, GS05 time of its group: the file's time

    @property
    def body(self) -> list[Segment]:
        end = -1 if self.segments and self.segments[-1].id == "SE" and len(self.segments) > 1 else None
        return self.segments[1:end]

    @property
    def label(self) -> str:
        return f"ST*{self.set_id}*{self.control}"


@dataclass
class FunctionalGroup:
    functional_id: str  # GS01
    sender: str  # GS02
    receiver: str  # GS03
    control: str  # GS06
    version: str  # GS08
    pos: int
    sent: tuple[str, str] = ("", "")  # GS04, GS05
    sets: list[TransactionSet] = field(default_factory=list)
    declared_sets: int | None = None  # GE01
    errors: list[RowError] = field(default_factory=list)  # envelope violations: no set is read
    ak9_codes: list[str] = field(default_factory=list)


@dataclass
class X12Interchange:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control: str  # ISA13
    usage: str  # ISA15: P production, T test
    version: str  # ISA12
    delimiters: Delimiters
    pos: int
    groups: list[FunctionalGroup] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # ISA/IEA violations: nothing is read

    @property
    def ok(self) -> bool:
        return not self.errors


# -- tokenizing and the envelope ------------------------------------------------------------


def read_delimiters(text: str) -> tuple[Delimiters, int]:
    """The delimiters from the ISA segment, and where the ISA starts in `text`."""
    start = len(text) - len(text.lstrip())
    if text[start : start + 3] != "ISA":
        found = text[start : start + 20].strip()
        raise FileError(
            "the file does not start with an ISA interchange header"
            + (f" (it starts with {show(found)})" if found else " (it is empty)"),
            1,
        )
    isa = text[start : start + _ISA_LENGTH]
    elem = isa[3] if len(isa) > 3 else ""
    if not elem or elem.isalnum() or elem.isspace():
        raise FileError(f"ISA: element separator {elem!r} (position 4) must be a special character", 1)
    if len(isa) == _ISA_LENGTH and all(isa[p] == elem for p in _ISA_SEPARATORS):
        sub, term = isa[104], isa[105]
    else:
        # Fields not padded to their fixed widths: find the 16th separator instead.
        seen, i = 0, start
        while i < len(text) and seen < 16:
            if text[i] == elem:
                seen += 1
            i += 1
        if seen < 16 or i + 1 >= len(text):
            raise FileError("ISA: the segment is cut short; it must have 16 elements and a segment terminator", 1)
        sub, term = text[i], text[i + 1]
    if term == elem or term == sub or sub == elem:
        raise FileError(
            f"ISA: the element separator {elem!r}, sub-element separator {sub!r} and segment terminator "
            f"{term!r} must all differ",
            1,
        )
    if term.isalnum() or (term.isspace() and term not in "\r\n"):
        raise FileError(f"ISA: segment terminator {term!r} (position 106) must be a special character or a line break", 1)
    if sub.isalnum() or sub.isspace():
        raise FileError(f"ISA: sub-element separator {sub!r} (position 105) must be a special character", 1)
    return Delimiters(elem, sub, term), start


def tokenize(text: str) -> tuple[Delimiters, list[Segment]]:
    delims, start = read_delimiters(text)
    segments: list[Segment] = []
    for piece in text[start:].split(delims.segment):
        piece = piece.lstrip().rstrip("\r\n")
        if not piece.strip():
            continue
        elements = piece.split(delims.element)
        segments.append(Segment(elements[0].strip(), elements, len(segments) + 1, delims.subelement))
    return delims, segments


def build_envelopes(delims: Delimiters, segments: list[Segment]) -> tuple[list[X12Interchange], list[RowError]]:
    """Interchanges, groups and sets, with every envelope violation recorded where it belongs."""
    interchanges: list[X12Interchange] = []
    stray: list[RowError] = []
    i, n = 0, len(segments)
    while i < n:
        seg = segments[i]
        if seg.id != "ISA":
            stray.append(RowError(seg.pos, f"segment {show(seg.id)} is outside any interchange (after IEA or before ISA)"))
            i += 1
            continue
        ic = _read_isa(seg, delims)
        interchanges.append(ic)
        i += 1
        group: FunctionalGroup | None = None
        tx: TransactionSet | None = None
        closed = False
        while i < n:
            seg = segments[i]
            sid = seg.id
            if tx is not None and sid not in ("SE", "ST", "GS", "GE", "ISA", "IEA"):
                tx.segments.append(seg)
                i += 1
                continue
            if tx is not None and sid != "SE":
                _no_trailer(tx)
                tx = None
            if sid == "SE":
                if tx is None:
                    err = RowError(seg.pos, "SE without a matching ST")
                    (group.errors if group is not None else ic.errors).append(err)
                else:
                    tx.segments.append(seg)
                    _check_se(tx, seg)
                    tx = None
            elif sid == "ST":
                if group is None:
                    ic.errors.append(RowError(seg.pos, f"{seg.id}*{seg.el(1)}*{seg.el(2)} is outside a GS/GE functional group"))
                    group = FunctionalGroup("", "", "", "", "", seg.pos)
                    group.errors.append(RowError(seg.pos, "transaction sets without a GS header are not read"))
                    group.ak9_codes.append("3")
                    ic.groups.append(group)
                tx = TransactionSet(seg.el(1), seg.el(2), [seg], seg.pos, sent=group.sent)
                if not tx.set_id or not DIGITS.match(tx.set_id):
                    tx.errors.append(RowError(seg.pos, f"ST01 transaction set identifier {show(seg.el(1))} is missing or invalid"))
                    tx.ak5_codes.append("6")
                if not tx.control:
                    tx.errors.append(RowError(seg.pos, "ST02 transaction set control number is empty"))
                    tx.ak5_codes.append("7")
                group.sets.append(tx)
            elif sid == "GS":
                if group is not None and group.declared_sets is None and not group.errors:
                    _no_ge(group)
                group = _read_gs(seg)
                ic.groups.append(group)
            elif sid == "GE":
                if group is None:
                    ic.errors.append(RowError(seg.pos, "GE without a matching GS"))
                else:
                    _check_ge(group, seg)
                    group = None
            elif sid == "IEA":
                if group is not None:
                    _no_ge(group)
                    group = None
                _check_iea(ic, seg)
                i += 1
                closed = True
                break
            elif sid == "ISA":
                break
            else:
                where = f"{group.functional_id} group" if group is not None else "interchange"
                err = RowError(seg.pos, f"segment {show(sid)} is outside a transaction set (in the {where})")
                (group.errors if group is not None else ic.errors).append(err)
            i += 1
        if not closed:
            if tx is not None:
                _no_trailer(tx)
            if group is not None and group.declared_sets is None:
                _no_ge(group)
            ic.errors.append(RowError(None, f"interchange {ic.control} has no IEA trailer: the file is cut short"))
    return interchanges, stray


def _read_isa(seg: Segment, delims: Delimiters) -> X12Interchange:
    ic = X12Interchange(
        sender_qualifier=seg.el(5),
        sender_id=seg.el(6),
        receiver_qualifier=seg.el(7),
        receiver_id=seg.el(8),
        control=seg.el(13),
        usage=seg.el(15),
        version=seg.el(12),
        delimiters=delims,
        pos=seg.pos,
    )
    if len(seg.elements) != 17:
        ic.errors.append(RowError(seg.pos, f"ISA has {len(seg.elements) - 1} elements, it must have 16"))
    if not DIGITS.match(ic.control or "-"):
        ic.errors.append(RowError(seg.pos, f"ISA13 interchange control number {show(seg.el(13))} is not a number"))
    if not ic.sender_id or not ic.receiver_id:
        ic.errors.append(RowError(seg.pos, "ISA06 sender or ISA08 receiver id is empty"))
    return ic


def _read_gs(seg: Segment) -> FunctionalGroup:
    group = FunctionalGroup(seg.el(1), seg.el(2), seg.el(3), seg.el(6), seg.el(8), seg.pos, (seg.el(4), seg.el(5)))
    if not group.version.startswith(READ_VERSION) and not (group.functional_id == "FA" and
                                                          group.version.startswith("00501")):
        # a 005010 997 carries the same AK1/AK2/AK5/AK9 elements Dockline reads; other 005010 groups differ
        group.errors.append(RowError(seg.pos, f"GS08 version {show(group.version)} is not supported: Dockline reads "
                                              f"X12 {READ_VERSION} (004010 with an industry suffix such as "
                                              "004010VICS too); ask the warehouse to send this group as 004010 "
                                              "(group not read)"))
        group.ak9_codes.append("2")
    if not DIGITS.match(group.control or "-") or len(group.control) > 9:
        group.errors.append(RowError(seg.pos, f"GS06 group control number {show(seg.el(6))} is not a number (group not read)"))
        group.ak9_codes.append("6")
    if not group.functional_id:
        group.errors.append(RowError(seg.pos, "GS01 functional identifier code is empty (group not read)"))
        group.ak9_codes.append("1")
    return group


def _same_number(a: str, b: str) -> bool:
    if DIGITS.match(a or "-") and DIGITS.match(b or "-"):
        return int(a) == int(b)
    return a == b


def _no_trailer(tx: TransactionSet) -> None:
    tx.errors.append(RowError(tx.pos, f"{tx.label} has no SE trailer (set not read)"))
    tx.ak5_codes.append("2")


def _check_se(tx: TransactionSet, se: Segment) -> None:
    count, control = se.el(1), se.el(2)
    if not _same_number(control, tx.control):
        tx.errors.append(RowError(se.pos, f"SE02 control number {show(control)} does not match ST02 {show(tx.control)} "
                                          f"of {tx.label} (set not read)"))
        tx.ak5_codes.append("3")
    actual = len(tx.segments)
    if not DIGITS.match(count or "-") or int(count) != actual:
        tx.errors.append(RowError(se.pos, f"SE01 says {show(count)} segments but {tx.label} has {actual} "
                                          "(ST and SE included; set not read)"))
        tx.ak5_codes.append("4")


def _no_ge(group: FunctionalGroup) -> None:
    group.errors.append(RowError(group.pos, f"GS*{group.functional_id} group {group.control} has no GE trailer (group not read)"))
    group.ak9_codes.append("3")


def _check_ge(group: FunctionalGroup, ge: Segment) -> None:
    count, control = ge.el(1), ge.el(2)
    group.declared_sets = int(count) if DIGITS.match(count or "-") else -1
    if not _same_number(control, group.control):
        group.errors.append(RowError(ge.pos, f"GE02 group control number {show(control)} does not match GS06 "
                                             f"{show(group.control)} (group not read)"))
        group.ak9_codes.append("4")
    if group.declared_sets != len(group.sets):
        group.errors.append(RowError(ge.pos, f"GE01 says {show(count)} transaction sets but group {group.control} has "
                                             f"{len(group.sets)} (group not read)"))
        group.ak9_codes.append("5")


def _check_iea(ic: X12Interchange, iea: Segment) -> None:
    count, control = iea.el(1), iea.el(2)
    if not _same_number(control, ic.control):
        ic.errors.append(RowError(iea.pos, f"IEA02 interchange control number {show(control)} does not match ISA13 "
                                           f"{show(ic.control)} (interchange not read)"))
    if not DIGITS.match(count or "-") or int(count) != len(ic.groups):
        ic.errors.append(RowError(iea.pos, f"IEA01 says {show(count)} functional groups but the interchange has "
                                           f"{len(ic.groups)} (interchange not read)"))
