"""The 997 Functional Acknowledgment, both ways: what the codes mean, writing one, reading one.

`render_997` answers every functional group of a received interchange with
one 997 set, checking each set as `parse_*` would read it (envelope and
content). The 997 mirrors the group's version: its GS08 (and ISA12) are the
acknowledged group's GS08, and from 005010 on AK103 carries it too, so a 997
never claims a version the group did not use. `parse_997` reads the
warehouse's answers to our 940s into :class:`FunctionalAck` records.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from dockline.warehouses.formats.base import Parsed, decode_text, read_guarded
from dockline.warehouses.formats.fields import show
from dockline.warehouses.formats.x12.base import X12Base
from dockline.warehouses.formats.x12.envelope import (
    DIGITS,
    FunctionalGroup,
    Segment,
    TransactionSet,
    X12Interchange,
    build_envelopes,
    tokenize,
)
from dockline.warehouses.formats.x12.segments import VERSION, Bad, required, whole
from dockline.warehouses.formats.x12.text import EXTENDED

# 997 code texts (X12 data elements 716, 718, 720, 723) for plain-words reports.
AK5_CODES = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
}
AK9_CODES = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in the header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax",
}
AK3_CODES = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "mandatory segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
}
AK4_CODES = {
    "1": "mandatory data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
}
STATUS_WORDS = {
    "A": "accepted",
    "E": "accepted, but errors were noted",
    "P": "partially accepted",
    "R": "rejected",
    "M": "rejected, message authentication code failed",
    "W": "rejected, assurance failed validity tests",
    "X": "rejected, content could not be analyzed",
}


@dataclass(frozen=True)
class SetAck:
    """AK2/AK5: how the receiver took one transaction set."""

    set_id: str  # AK201, e.g. "940"
    control: str  # AK202: the ST02 we sent
    status: str  # AK501: A, E, R (M, W, X are rejections too)
    codes: tuple[str, ...] = ()  # AK502..AK506
    segment_errors: tuple[str, ...] = ()  # AK3/AK4, in plain words

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    def describe(self) -> str:
        words = STATUS_WORDS.get(self.status, f"status {self.status}")
        reasons = [AK5_CODES.get(c, f"code {c}") for c in self.codes] + list(self.segment_errors)
        return f"{self.set_id} {self.control}: {words}" + (f" ({'; '.join(reasons)})" if reasons else "")


@dataclass(frozen=True)
class FunctionalAck:
    """One 997 transaction set: the acknowledgment of one functional group we sent."""

    functional_id: str  # AK101, e.g. "OW"
    group_control: int  # AK102: the GS06 we sent
    status: str  # AK901: A, E, P, R
    sets_included: int  # AK902
    sets_received: int  # AK903
    sets_accepted: int  # AK904
    codes: tuple[str, ...] = ()  # AK905..AK909
    sets: tuple[SetAck, ...] = ()
    interchange_control: str = ""  # ISA13 of the 997's own interchange
    set_control: str = ""  # ST02 of the 997

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    def describe(self) -> str:
        words = STATUS_WORDS.get(self.status, f"status {self.status}")
        reasons = [AK9_CODES.get(c, f"code {c}") for c in self.codes]
        text = (
            f"group {self.functional_id} {self.group_control}: {words}; "
            f"{self.sets_accepted} of {self.sets_received} set(s) accepted"
        )
        if reasons:
            text += f" ({'; '.join(reasons)})"
        bad = [s.describe() for s in self.sets if not s.accepted]
        return text + ("; " + "; ".join(bad) if bad else "")


# Versions a 997 can be written in faithfully: it mirrors the group's when it is one of these
# (industry suffixes such as 004010VICS included), and is written in ours otherwise (a group in an
# unknown version is rejected with AK9 code 2, "version not supported").
ANSWERABLE = ("004010", "005010")


def _version(group: FunctionalGroup) -> str:
    """The group's GS08 when the 997 can be written in it, else ours."""
    known = group.version[:6] in ANSWERABLE and (len(group.version) == 6 or group.version[6:12].isalnum())
    return group.version[:12] if known else VERSION


def _qualifier(received: str) -> str:
    """An ISA05/07 qualifier for the answer: the received one when it is a 2-character code, else ZZ."""
    return received if len(received) == 2 and received.isalnum() else "ZZ"


class Ack997(X12Base):
    """envelope, render_997 and parse_997."""

    def envelope(self, data: bytes | str) -> Parsed[X12Interchange]:
        """The interchanges in a file with their groups and sets, and every envelope violation."""
        def fill(result: Parsed) -> None:
            interchanges, stray = build_envelopes(*tokenize(decode_text(data, latin1=True)))
            result.items = interchanges
            result.errors.extend(stray)
            for ic in interchanges:
                result.errors.extend(ic.errors)
                for group in ic.groups:
                    result.errors.extend(group.errors)
                    for tx in group.sets:
                        result.errors.extend(tx.errors)

        return read_guarded(fill, "the envelope")

    def render_997(self, interchange: X12Interchange | bytes | str) -> bytes:
        """A 997 for every functional group of a received interchange (one 997 set per group).

        Each set is checked (envelope and content) as parse_* would read it:
        AK5 ``A`` accepted, ``E`` accepted with errors (some 846 line items
        left out), ``R`` rejected, with AK3/AK4 naming the segment and element.
        """
        if not isinstance(interchange, X12Interchange):
            parsed = self.envelope(interchange)
            if not parsed.items:
                reason = parsed.errors[0].reason if parsed.errors else "no interchange found"
                raise ValueError(f"cannot acknowledge this file: {reason}")
            interchange = parsed.items[0]
        ic = interchange
        sets = [("997", self._ack_body(ic, group)) for group in ic.groups]
        if not sets:
            raise ValueError("cannot acknowledge an interchange without functional groups")
        first = ic.groups[0]
        return self._interchange(
            "FA",
            sets,
            version=_version(first),
            sender=(_qualifier(ic.receiver_qualifier), self._echo(ic.receiver_id, 1) or self.sender_id),
            receiver=(_qualifier(ic.sender_qualifier), self._echo(ic.sender_id, 1) or self.receiver_id),
            gs_sender=self._echo(first.receiver, 2) or None,
            gs_receiver=self._echo(first.sender, 2) or None,
        )

    def _ack_body(self, ic: X12Interchange, group: FunctionalGroup) -> list[str]:
        ak1 = ["AK1", self._ack_value(group.functional_id or "ZZ", 2, 2),
               group.control if DIGITS.match(group.control or "-") and len(group.control) <= 9 else "0"]
        if _version(group) >= "005010":
            ak1.append(_version(group))  # AK103 exists from 005010 on
        body = [self._seg(*ak1)]
        accepted = 0
        noted = False
        group_ok = not group.errors and not ic.errors
        for tx in group.sets:
            status, codes, ak3 = self._check_set(tx)
            noted = noted or status == "E"
            body.append(self._seg("AK2", self._ack_value(tx.set_id, 3, 3), self._ack_value(tx.control, 9, 4)))
            body.extend(ak3)
            body.append(self._seg("AK5", status, *codes[:5]))
            if status in ("A", "E") and group_ok:
                accepted += 1
        received = len(group.sets)
        declared = group.declared_sets
        if declared is None or not 0 <= declared <= 999_999:  # AK902 is N0 1/6: echo only what fits
            declared = received
        if not group_ok or accepted == 0:
            overall = "R"
        elif accepted < received:
            overall = "P"
        elif noted:
            overall = "E"
        else:
            overall = "A"
        body.append(self._seg("AK9", overall, str(declared), str(received), str(accepted), *group.ak9_codes[:5]))
        return body

    def _echo(self, received: str, shortest: int) -> str:
        """A received interchange or group id to answer to; "" when it cannot be written back as it is."""
        fits = shortest <= len(received) <= 15 and received.isascii() and received.isprintable()
        return received if fits and not any(c in received for c in self._delimiter_chars) else ""

    def _ack_value(self, value: str, max_len: int, min_len: int = 1) -> str:
        """A received id echoed in the 997, held to the element's length (zero-padded when short)."""
        return self._text(value).replace(" ", "")[:max_len].rjust(min_len, "0")

    def _check_set(self, tx: TransactionSet) -> tuple[str, list[str], list[str]]:
        """(AK501 status, AK502.. codes, AK3/AK4 segments) for one received set."""
        if tx.errors:
            return "R", list(dict.fromkeys(tx.ak5_codes)), []
        reader = self._readers().get(tx.set_id)
        if reader is None:
            return "R", ["1"], []
        problems: list[Bad] = []
        try:
            out = reader(tx)
            if isinstance(out, tuple):
                problems = out[1]
                status = ("E" if out[0] else "R") if problems else "A"
            else:
                status = "A"
        except Bad as bad:
            problems = [bad]
            status = "R"
        except Exception:  # noqa: BLE001 - a reader bug must not stop the acknowledgment
            return "R", ["5"], []
        ak3: list[str] = []
        for bad in problems[:20]:
            if bad.seg is not None:
                position = bad.seg.pos - tx.pos + 1
                ak3.append(self._seg("AK3", bad.seg.id[:3], str(position), "", bad.seg_code))
                if bad.element is not None:
                    value = self._text(bad.seg.el(bad.element), EXTENDED)[:99]  # the partner's own data, echoed
                    ak3.append(self._seg("AK4", str(bad.element), "", bad.el_code, value))
            else:
                missing = bad.missing or "SE"
                position = bad.after.pos - tx.pos + 2 if bad.after is not None else max(len(tx.segments) - 1, 1)
                ak3.append(self._seg("AK3", missing[:3], str(position), "", "3"))
        codes = ["5"] if status == "R" else []
        return status, codes, ak3

    def parse_997(self, data: bytes) -> Parsed[FunctionalAck]:
        return self._parse(data, "997", expect_to=None)

    def _received(self, items: list, interchange_control: str) -> list:
        return [replace(a, interchange_control=interchange_control) if isinstance(a, FunctionalAck) else a
                for a in items]

    def _read_997(self, tx: TransactionSet) -> list[FunctionalAck]:
        ak1: Segment | None = None
        ak9: Segment | None = None
        sets: list[SetAck] = []
        current: dict | None = None

        def finish() -> None:
            nonlocal current
            if current is not None:
                if current["status"] is None:
                    raise Bad(f"AK2 for {current['id']} {current['control']} has no AK5 segment",
                               current["seg"], seg_code="3")
                sets.append(SetAck(current["id"], current["control"], current["status"], tuple(current["codes"]),
                                   tuple(current["errors"])))
                current = None

        for seg in tx.body:
            t = seg.id
            if t == "AK1":
                if ak1 is not None:
                    raise Bad("AK1 appears twice", seg, seg_code="5")
                ak1 = seg
                required(seg, 1, "functional identifier code")
                whole(seg, 2, "group control number", minimum=0)
            elif t == "AK2":
                finish()
                current = {"seg": seg, "id": required(seg, 1, "transaction set identifier"),
                           "control": required(seg, 2, "transaction set control number"),
                           "status": None, "codes": [], "errors": []}
            elif t == "AK3" and current is not None:
                code = seg.el(4)
                text = AK3_CODES.get(code, f"code {code}" if code else "error")
                current["errors"].append(f"segment {seg.el(1)} at position {seg.el(2)}: {text}")
            elif t == "AK4" and current is not None:
                code = seg.el(3)
                text = AK4_CODES.get(code, f"code {code}" if code else "error")
                position = seg.component(1)
                bad = f" ({seg.el(4)!r})" if seg.el(4) else ""
                current["errors"].append(f"element {position}: {text}{bad}")
            elif t == "AK5":
                if current is None:
                    raise Bad("AK5 without an AK2 before it", seg, seg_code="2")
                status = required(seg, 1, "acknowledgment code").upper()
                if status not in STATUS_WORDS:
                    raise Bad(f"AK501 acknowledgment code {show(status)} is not A, E, R, M, W or X", seg, 1)
                current["status"] = status
                current["codes"] = [seg.el(n) for n in range(2, 7) if seg.el(n)]
            elif t == "AK9":
                finish()
                ak9 = seg
        finish()
        if ak1 is None:
            raise Bad("the AK1 (functional group response header) segment is missing", missing="AK1")
        if ak9 is None:
            raise Bad("the AK9 (functional group response trailer) segment is missing", missing="AK9")
        status = required(ak9, 1, "acknowledgment code").upper()
        if status not in ("A", "E", "P", "R", "M", "W", "X"):
            raise Bad(f"AK901 acknowledgment code {show(status)} is not A, E, P or R", ak9, 1)
        return [
            FunctionalAck(
                functional_id=ak1.el(1),
                group_control=int(whole(ak1, 2, "group control number", minimum=0) or 0),
                status=status,
                sets_included=int(whole(ak9, 2, "number of transaction sets included", minimum=0) or 0),
                sets_received=int(whole(ak9, 3, "number of received transaction sets", minimum=0) or 0),
                sets_accepted=int(whole(ak9, 4, "number of accepted transaction sets", minimum=0) or 0),
                codes=tuple(ak9.el(n) for n in range(5, 10) if ak9.el(n)),
                sets=tuple(sets),
                set_control=tx.control,
            )
        ]
