"""Running rules at a hook point, and the Test trace that shows what a rule would do, changing nothing.

`run_rules` is the one call each hook point makes (`orders/imports.py`, `orders/services.py`): on import,
for a new order, before it is mapped; and before sending, for a Queued order about to be written for the warehouse. The
active rules of the order's merchant (for every connection, or for the order's) run in their order;
each rule whose conditions are all true does its actions in turn. A condition that cannot be evaluated
(a typo in a field name, a division by zero) counts as false and is said once in the order's activity.

A run that takes many orders through a hook reads the rules once (`rules_at`) and passes them to each
`run_rules`; a connection with no active rule at that hook then costs no query per order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from dockline.core.activity import Event
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.rules import actions, holds
from dockline.rules.expressions import Value, activation, evaluate
from dockline.rules.models import Hook, Rule

# An order still in one of these after the hook goes on (to mapping, or to the warehouse).
_GOES_ON = {Hook.IMPORT: {S.NEW}, Hook.BEFORE_SEND: {S.QUEUED, S.DELAYED}}


def rules_at(connection_id: int, hook: Hook) -> list[Rule]:
    """The active rules at `hook` for the orders of a connection, in their order: read once per run."""
    return list(Rule.objects.for_connection(connection_id, hook))


def run_rules(order: Order, hook: Hook, *, now: datetime | None = None, rules: list[Rule] | None = None) -> bool:
    """Run the order's active rules at `hook`; True when the order goes on, False when it stops here.

    `rules` are those `rules_at` read for the order's connection at this hook (read here when not given).
    On import, a new order that goes on is then held for the connection's edit window, if it has one.
    """
    now = now or timezone.now()
    rules = rules_at(order.connection_id, hook) if rules is None else rules
    if rules and hook == Hook.BEFORE_SEND:  # an earlier order's rule may have bundled or changed this one
        order.refresh_from_db(fields=["status", "bundled_into", "tags", "notes", "priority", "destinations"])
    if order.status not in _GOES_ON[hook]:
        return False
    routed = False
    for rule in rules:
        values = _conditions(rule, order, now)
        errors = [v for v in values if v.error]
        if errors:
            _say_once(order, rule, errors[0])
        if not all(v.true for v in values):
            continue
        outcome = actions.Outcome.GO_ON
        for name, arg in rule.action_lines:
            outcome = actions.ACTIONS[name].run(actions.Context(order, rule, hook, now), arg)
            if outcome != actions.Outcome.GO_ON:
                break
        routed = routed or outcome == actions.Outcome.ROUTED
        if outcome != actions.Outcome.GO_ON:
            break
    if hook == Hook.IMPORT and order.status == S.NEW:
        holds.hold_for_edit_window(order, now)
    # Routed before sending: `orders/parts.py` sends its parts, so the caller must not send it whole.
    return order.status in _GOES_ON[hook] and not (routed and hook == Hook.BEFORE_SEND)


def _conditions(rule: Rule, order: Order, now: datetime) -> list[Value]:
    variables = activation(order, now)
    return [evaluate(line, variables) for line in rule.condition_lines]


def _say_once(order: Order, rule: Rule, value: Value) -> None:
    message = f"Rule '{rule.name}' did not act: its condition {value.expression} cannot be evaluated ({value.error})."
    if not order.activity.filter(message=message).exists():
        order.log(message, level="warning", event=Event.WARNING)


@dataclass
class Trace:
    """What a rule would do to an order now: each condition's value, whether it acts, and its actions."""

    rule: Rule
    order: Order
    conditions: list[Value] = field(default_factory=list)
    acts: bool = False
    actions: list[str] = field(default_factory=list)
    note: str = ""


def trace_rule(rule: Rule, order: Order, *, now: datetime | None = None) -> Trace:
    """Evaluate `rule` against `order` and describe its actions; nothing is changed or logged."""
    now = now or timezone.now()
    trace = Trace(rule, order, _conditions(rule, order, now))
    trace.acts = all(v.true for v in trace.conditions)
    trace.actions = [actions.describe(name, arg) for name, arg in rule.action_lines]
    if not rule.active:
        trace.note = "The rule is inactive: it does nothing to real orders until you switch it on."
    elif rule.connection_id and rule.connection_id != order.connection_id:
        trace.note = "The rule is for another connection: it would not run on this order."
    return trace
