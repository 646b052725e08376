"""What a person can do to an order: Reprocess, Reset, Archive, Cancel. Each is logged in the order's activity.

`by` is who asked: a user (recorded as the actor, with the name as it was then), an `Actor`, or a
person's name alone (a script, a test). The mapping a Reprocess runs at once is recorded as theirs too;
what later runs do is Dockline's.
"""
from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from dockline.connections.services import sync_now
from dockline.core.activity import Actor, Event
from dockline.orders.cancel_state import CancelOrigin
from dockline.orders.cancellations import CannotCancel, request_cancellation
from dockline.orders.models import Order
from dockline.orders.status import RESETTABLE, TRANSITIONS
from dockline.orders.status import OrderStatus as S

Who = Actor | AbstractBaseUser | str  # see the module's docstring


class ActionRefused(Exception):
    """The action does not apply to the order in its status; the message says why, in plain words."""


def reset(order: Order, by: Who) -> None:
    """Send the order back to New: it is checked and mapped again on the next orders run."""
    actor = Actor.of(by)
    if S(order.status) not in RESETTABLE:
        raise ActionRefused(f"#{order.number} is {order.get_status_display()}; only "
                            f"{_labels(RESETTABLE)} orders can be reset.")
    _fresh_attempts(order)
    order.move_to(S.NEW, f"Reset to New by {actor.label}.", actor=actor, event=Event.RESET)


def reprocess(order: Order, by: Who) -> None:
    """Check and map the order again now; if it maps it is queued and the orders channel runs at once."""
    from dockline.mapping.services import Mapper
    from dockline.orders.services import map_order

    actor = Actor.of(by)
    if order.status != S.NEW:
        if S(order.status) not in RESETTABLE or order.status == S.QUEUED:
            raise ActionRefused(f"#{order.number} is {order.get_status_display()}; only New and "
                                f"{_labels(RESETTABLE - {S.QUEUED})} orders can be reprocessed.")
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
    if S.ARCHIVED not in TRANSITIONS[S(order.status)]:
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


def apply(name: str, orders, by: Who) -> tuple[int, list[str]]:
    """Run one action on many orders; returns how many it was done to and why the others were refused."""
    action = ACTIONS[name]
    done, refused = 0, []
    for order in orders:
        try:
            action(order, by)
            done += 1
        except ActionRefused as exc:
            refused.append(str(exc))
    return done, refused


def _fresh_attempts(order: Order) -> None:
    """A reset or reprocessed order gets all its sending attempts again (saved by the move)."""
    order.attempts = 0
    order.retry_at = None


def _labels(statuses) -> str:
    return ", ".join(sorted(s.label for s in statuses))
