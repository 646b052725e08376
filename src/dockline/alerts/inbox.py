"""Listing a warehouse's inbox for the "warehouse not taking files" condition, cheaply and without stalling.

A check runs every minute; the inbox of each warehouse server and folder is listed at most every
EVERY (15 minutes) and the listing reused in between. A listing that fails (refused, unreachable,
or slower than TIMEOUT per step) is remembered for as long, so an unreachable server costs one
timeout per quarter of an hour, and its error becomes the condition's finding for that warehouse.
The listings of one check together get BUDGET seconds: warehouses not listed by then keep their last
listing (or wait for the next check), so one slow server cannot hold up the other conditions.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from dockline.core.errors import ConnectorError

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=15)
TIMEOUT = 10.0  # seconds per step of a listing (connect, log in, list), instead of a run's 30
BUDGET = 20.0  # seconds of listing per check, all warehouses together
ASKED = 200  # files asked about per warehouse


@dataclass(frozen=True)
class Listed:
    at: datetime
    names: frozenset[str] = frozenset()
    error: str = ""  # why the inbox could not be listed


@dataclass
class Budget:
    """The time one check has spent listing inboxes."""

    spent: float = 0.0

    def left(self) -> bool:
        return self.spent < BUDGET


@dataclass(frozen=True)
class Found:
    names: list[str]  # the files asked about that are still in the inbox
    error: str = ""  # the inbox could not be listed: not known


# {(warehouse, transport, host, port, folder): the last listing}
_listings: dict[tuple, Listed] = {}


def still_in_inbox(warehouse, names: list[str], now: datetime, budget: Budget) -> Found:
    """Which of `names` are in the warehouse's inbox, from a listing at most EVERY old (listing it if due)."""
    key = (warehouse.id, warehouse.transport, warehouse.credentials.get("host"), warehouse.credentials.get("port"),
           warehouse.folders.inbox)
    listed = _listings.get(key)
    due = listed is None or not timedelta(0) <= now - listed.at < EVERY
    if due and budget.left():
        started = time.monotonic()
        listed = _listings[key] = _list(warehouse, now)
        budget.spent += time.monotonic() - started
    if listed is None:  # never listed and no time left in this check: the next one lists it
        return Found([])
    if listed.error:
        return Found([], listed.error)
    return Found([n for n in names if n in listed.names])


def _list(warehouse, now: datetime) -> Listed:
    try:
        transport = warehouse.open_transport()
        transport.config.timeout = min(transport.config.timeout, TIMEOUT)
        with transport:
            return Listed(now, frozenset(f.name for f in transport.list(warehouse.folders.inbox)))
    except ConnectorError as exc:  # refused, unreachable, timed out: the transports say which
        log.info("could not list the inbox of %s: %s", warehouse, exc.message)
        return Listed(now, error=exc.message)
