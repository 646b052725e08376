"""The quantity offered to a store for one SKU, term by term, so that it cannot oversell.

    quantity = sum over the warehouses that serve the store of
                   max(available - in flight, 0)    (in flight: units in orders sent after its last count)
               - not yet sent                       (units in orders imported but not sent to a warehouse yet:
                                                     the store has lowered its count for them, no warehouse has)
               - buffer                             (units, or a percent of what is left, rounded up)
               never below 0; and 0 when below the minimum level.

`compute_stock` is pure: the push and the inventory page both call it with what the database holds
(`inventory/services.py` reads it), so the page shows exactly what is pushed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Buffer:
    """Held back from what the warehouses can ship: `amount` units, or `amount` percent when `percent`."""

    amount: int = 0
    percent: bool = False
    source: str = ""  # where it was set: "connection" or "listing"

    def units(self, total: int) -> int:
        """Units held back out of `total`; a percent is rounded up (never offer a fraction more)."""
        if self.percent:
            return min(total, math.ceil(total * self.amount / 100))
        return min(total, self.amount)

    def __str__(self) -> str:
        return f"{self.amount}%" if self.percent else f"{self.amount} unit(s)"


@dataclass(frozen=True)
class WarehouseTerm:
    """One warehouse's share, in store units."""

    warehouse: str
    available: int  # as the warehouse last reported it
    in_flight: int  # sent to it after that count: it has not subtracted them yet
    counted_at: datetime | None = None

    @property
    def net(self) -> int:
        return max(self.available - self.in_flight, 0)


@dataclass(frozen=True)
class StockTerms:
    """Every term of one SKU's calculation, and the quantity it gives."""

    warehouses: tuple[WarehouseTerm, ...]
    buffer: Buffer
    minimum: int
    total: int  # sum of each warehouse's net
    not_sent: int  # units in orders imported and not sent to any warehouse yet
    held_back: int  # the buffer, in units
    below_minimum: bool
    quantity: int  # what is pushed

    @property
    def available(self) -> int:
        return sum(t.available for t in self.warehouses)

    @property
    def in_flight(self) -> int:
        return sum(t.in_flight for t in self.warehouses)


def compute_stock(warehouses: list[WarehouseTerm] | tuple[WarehouseTerm, ...], buffer: Buffer = Buffer(),
                  minimum: int = 0, not_sent: int = 0) -> StockTerms:
    """The quantity to offer from each warehouse's term, the units not sent yet, a buffer and a minimum level
    (see the module)."""
    total = sum(t.net for t in warehouses)
    left = max(total - not_sent, 0)
    held_back = buffer.units(left)
    after = left - held_back
    below = after < minimum
    return StockTerms(warehouses=tuple(warehouses), buffer=buffer, minimum=minimum, total=total, not_sent=not_sent,
                      held_back=held_back, below_minimum=below, quantity=0 if below else after)
