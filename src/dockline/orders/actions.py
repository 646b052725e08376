"""What a person can do to an order: Reprocess, Reset, Archive, Cancel. Each is logged in the order's activity.

`offered` is the one place that says which actions an order's status allows (read from the transition
table); the order page and the list's bulk actions show only those. `run` and `apply` report what
each order became, not only that the action ran: a Reprocess can end in Queued or back in Error.

`by` is who asked: a user (recorded as the actor, with the name as it was then), an `Actor`, or a
person's name alone (a script, a test). The mapping a Reprocess runs at once is recorded as theirs too;
what later runs do is Dockline's.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from dockline.connections.services import sync_now
from dockline.core.activity import Actor, Event
from dockline.orders.cancel_state import CancelOrigin
from dockline.orders.cancellations import CannotCancel, request_cancellation
from dockline.orders.models import Order
from dockline.orders.status import AT_WAREHOUSE, BEFORE_WAREHOUSE, RESETTABLE, TRANSITIONS
from dockline.orders.status import OrderStatus as S

Who = Actor | AbstractBaseUser | str  # see the module's docstring


class ActionRefused(Exception):
    """The action does not apply to the order in its status; the message says why, in plain words."""


# The statuses each action applies to, read from the transition table: Reset and Reprocess send the
# order back to New, so only where the table allows that move (RESETTABLE also names Queued and
# Delayed, which the table does not let go back to New); Archive wherever the table allows it.
_TO_NEW = {s for s in RESETTABLE if S.NEW in TRANSITIONS[s]}
ALLOWED_FROM: dict[str, set[S]] = {
    "reprocess": {S.NEW} | (_TO_NEW - {S.QUEUED}),
    "reset": _TO_NEW,
    "archive": {s for s in S if S.ARCHIVED in TRANSITIONS[s]},
    # Not sent yet: Canceled at once; in the warehouse's hands: the warehouse is asked (Cancel Requested).
    "cancel": set(BEFORE_WAREHOUSE) | set(AT_WAREHOUSE),
}
LABELS = {"reprocess": "Reprocess", "reset": "Reset to New", "archive": "Archive", "cancel": "Cancel order"}
HINTS = {"reprocess": "Check and map it again now, and send it if it maps",
         "reset": "Back to New; checked again on the next orders run", "archive": "Put away; no further work",
         "cancel": "Cancel it; if the warehouse has it, Dockline asks the warehouse to cancel"}


def offered(status: str) -> list[str]:
    """The actions an order in `status` can take, in the order the screens show them."""
    return [name for name, allowed in ALLOWED_FROM.items() if S(status) in allowed]


def offered_for(statuses) -> list[str]:
    """The actions at least one of `statuses` allows (the list's bulk buttons)."""
    present = {S(s) for s in statuses}
    return [name for name, allowed in ALLOWED_FROM.items() if allowed & present]


def reset(order: Order, by: Who) -> None:
    """Send the order back to New: it is checked and mapped again on the next orders run."""
    actor = Actor.of(by)
    if S(order.status) not in ALLOWED_FROM["reset"]:
        raise ActionRefused(f"#{order.number} is {order.get_status_display()}; only "
                            f"{_labels(ALLOWED_FROM['reset'])} orders can be reset.")
    _fresh_attempts(order)
    order.move_to(S.NEW, f"Reset to New by {actor.label}.", actor=actor, event=Event.RESET)


def reprocess(order: Order, by: Who) -> None:
    """Check and map the order again now; if it maps it is queued and the orders channel runs at once."""
    from dockline.mapping.services import Mapper
    from dockline.orders.services import map_order

    actor = Actor.of(by)
    if S(order.status) not in ALLOWED_FROM["reprocess"]:
        raise ActionRefused(f"#{order.number} is {order.get_status_display()}; only "
                            f"{_labels(ALLOWED_FROM['reprocess'])} orders can be reprocessed.")
    if order.status != S.NEW:
        _fresh_attempts(order)
        order.move_to(S.NEW, f"Reprocess asked by {actor.label}.", actor=actor, event=Event.REPROCESSED)
    problems = map_order(order, Mapper.for_connection(order.connection))
    if problems:
        message = " ".join(problems)
        order.move_to(S.ERROR, f"Stopped: {message}", level="error", error=message, actor=actor)
        return
    order.move_to(S.QUEUED, "Every item and the shipping method are mapped; queued for the warehouse.", actor=actor)
    sync_now(order.connection, "orders")


def archive(order: Order, by: Who) -> None:
    """Put the order away: no further work is done for it."""
    actor = Actor.of(by)
    if S(order.status) not in ALLOWED_FROM["archive"]:
        raise ActionRefused(f"#{order.number} is {order.get_status_display()} and cannot be archived.")
    order.move_to(S.ARCHIVED, f"Archived by {actor.label}.", actor=actor, event=Event.ARCHIVED)


def cancel(order: Order, by: Who) -> None:
    """Cancel the order: at once if it has not gone to the warehouse, else by asking the warehouse (Cancel
    Requested until it answers; the orders channel runs at once to send the cancellation)."""
    actor = Actor.of(by)
    try:
        request_cancellation(order, CancelOrigin.PERSON, reason=f"asked by {actor.label}", actor=actor)
    except CannotCancel as exc:
        raise ActionRefused(str(exc)) from None
    if order.status == S.CANCEL_REQUESTED:
        sync_now(order.connection, "orders")


ACTIONS = {"reprocess": reprocess, "reset": reset, "archive": archive, "cancel": cancel}


@dataclass(frozen=True)
class Outcome:
    """What one order became: `ok` is False when the action was refused or the order stopped in Error."""

    order: Order
    ok: bool
    message: str
    refused: bool = False


def run(name: str, order: Order, by: Who) -> Outcome:
    """Run one action on one order and say, in a sentence about that order, where it ended up."""
    try:
        ACTIONS[name](order, by)
    except ActionRefused as exc:
        return Outcome(order, False, str(exc), refused=True)
    order.refresh_from_db(fields=["status", "error"])
    status = S(order.status)
    if status == S.ERROR:
        return Outcome(order, False, f"#{order.number} went back to Error: {order.error}")
    if status == S.QUEUED:
        later = "" if order.connection.enabled else f" It is sent once {order.connection.name} is enabled."
        return Outcome(order, True, f"#{order.number} queued for the warehouse.{later}")
    if status == S.NEW:
        return Outcome(order, True, f"#{order.number} is back to New; it is checked on the next orders run.")
    return Outcome(order, True, f"#{order.number} is now {order.get_status_display()}.")


def apply(name: str, orders, by: Who) -> list[Outcome]:
    """Run one action on many orders, each on its own; one outcome per order."""
    return [run(name, order, by) for order in orders]


def summary(name: str, outcomes: list[Outcome]) -> str:
    """One line over many outcomes: "Reprocess on 4 order(s): 2 now Queued, 1 now Error, 1 refused."."""
    counts: dict[str, int] = {}
    for o in outcomes:
        key = "refused" if o.refused else f"now {o.order.get_status_display()}"
        counts[key] = counts.get(key, 0) + 1
    parts = ", ".join(f"{n} {label}" for label, n in counts.items())
    return f"{LABELS[name]} on {len(outcomes)} order(s): {parts}."


def _fresh_attempts(order: Order) -> None:
    """A reset or reprocessed order gets all its sending attempts again (saved by the move)."""
    order.attempts = 0
    order.retry_at = None


def _labels(statuses) -> str:
    return ", ".join(sorted(s.label for s in statuses))
