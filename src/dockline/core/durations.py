"""Intervals in the units a person uses: "15 minutes", "4 hours", "5 seconds", never "240 min".

`natural` splits an interval into the largest unit that holds it exactly, so what a form shows is
what it saves back unchanged; `describe` reads it as words for pages and messages.
"""
from __future__ import annotations

from datetime import timedelta

# (unit name, seconds), largest first
UNITS = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))
SECONDS_IN = dict(UNITS)


def natural(interval: timedelta) -> tuple[int, str]:
    """(number, unit) for an interval, in the largest unit that divides it exactly: 4 h -> (4, "hours")."""
    seconds = max(0, round(interval.total_seconds()))
    for unit, size in UNITS:
        if seconds and seconds % size == 0:
            return seconds // size, unit
    return seconds, "seconds"


def describe(interval: timedelta) -> str:
    """An interval in words: "15 minutes", "1 hour", "90 minutes", "5 seconds"."""
    number, unit = natural(interval)
    return f"{number} {unit[:-1] if number == 1 else unit}"


def from_units(number: int, unit: str) -> timedelta:
    """The interval `number` `unit`s long; KeyError for a unit not in UNITS."""
    return timedelta(seconds=number * SECONDS_IN[unit])
