"""What a rule can do to an order: the registry of actions, by name.

Each action checks its argument when the rule is saved (`check`), says in plain words what it would do
(`describe`, for the Test trace and the activity) and does it (`run`), returning whether the order goes
on, whether later rules are skipped (accept), or whether the order stops here (rejected, held, bundled).
An action whose argument depends on the merchant (the warehouse a `route` names) also checks it
against the rule (`check_for`). `route` and `split` end the rules for the order (`ROUTED`): before
sending, the order then goes to its warehouses in parts (`orders/parts.py`), never whole.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from dockline.connections.models import Connection
from dockline.connections.services import ActionRefused
from dockline.core.activity import Actor, ActorKind, Event
from dockline.mapping.services import Mapper
from dockline.orders.bundles import absorb_partners
from dockline.orders.models import Order, OrderLine
from dockline.orders.routing import route_to_warehouse, split_by_availability
from dockline.orders.status import TRANSITIONS
from dockline.orders.status import OrderStatus as S
from dockline.rules import holds
from dockline.rules.models import Hook, Rule


class Outcome(Enum):
    GO_ON = "go on"
    STOP_RULES = "later rules skipped"
    STOP_ORDER = "the order stops here"
    ROUTED = "routed: later rules skipped, the order goes to its warehouses in parts"


@dataclass
class Context:
    order: Order
    rule: Rule
    hook: Hook
    now: datetime

    @property
    def actor(self) -> Actor:
        return Actor(ActorKind.RULE, self.rule.name)

    def log(self, what: str, *, level: str = "info", event: Event = Event.RULE) -> None:
        self.order.log(f"Rule '{self.rule.name}': {what}", level=level, actor=self.actor, event=event)

    def said(self, what: str) -> str:
        return f"Rule '{self.rule.name}': {what}"


@dataclass(frozen=True)
class RuleAction:
    name: str
    usage: str  # the argument, as the form's help shows it
    check: Callable[[str], str]  # '' or what is wrong with the argument
    describe: Callable[[str], str]
    run: Callable[[Context, str], Outcome]
    check_for: Callable[[Rule, str], str] | None = None  # '' or what is wrong with the argument for this rule


ACTIONS: dict[str, RuleAction] = {}


def register(action: RuleAction) -> RuleAction:
    ACTIONS[action.name] = action
    return action


def check_action(name: str, arg: str, rule: Rule | None = None) -> str:
    if name not in ACTIONS:
        return f"there is no action '{name}'; use one of {', '.join(sorted(ACTIONS))}."
    action = ACTIONS[name]
    problem = action.check(arg)
    if not problem and rule is not None and action.check_for is not None:
        problem = action.check_for(rule, arg)
    return problem


def describe(name: str, arg: str) -> str:
    return ACTIONS[name].describe(arg)


def _anything(arg: str) -> str:
    return ""


def _needed(what: str) -> Callable[[str], str]:
    return lambda arg: "" if arg.strip() else f"give {what} after the colon."


# accept ---------------------------------------------------------------------------------------------------

def _accept(ctx: Context, arg: str) -> Outcome:
    ctx.log("accepted the order; later rules are not run.")
    return Outcome.STOP_RULES


register(RuleAction("accept", "no argument", _anything, lambda a: "accept the order and skip the later rules", _accept))


# reject ---------------------------------------------------------------------------------------------------

def _reject(ctx: Context, arg: str) -> Outcome:
    if S.SKIPPED not in TRANSITIONS[S(ctx.order.status)]:
        ctx.log(f"cannot skip an order that is {ctx.order.get_status_display()}.", level="warning")
        return Outcome.GO_ON
    ctx.order.move_to(S.SKIPPED, ctx.said(f"skipped the order: {arg}"), actor=ctx.actor)
    return Outcome.STOP_ORDER


register(RuleAction("reject", "the reason", _needed("the reason"), lambda a: f"skip the order: {a}", _reject))


# hold -----------------------------------------------------------------------------------------------------

_SPAN = re.compile(r"^(\d+)\s*(m|min|minutes?|h|hours?|d|days?)$", re.IGNORECASE)


def hold_until(arg: str, now: datetime) -> datetime | None:
    """When a hold with this argument ends: '30m', '2h', '3d', 'until 2026-12-24T09:00Z'; None for 'review'.

    Raises ValueError, in plain words, for anything else."""
    text = arg.strip()
    if text.lower() in ("", "review"):
        return None
    if match := _SPAN.match(text):
        amount, unit = int(match[1]), match[2][0].lower()
        return now + {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
    if text.lower().startswith("until "):
        try:
            when = datetime.fromisoformat(text[6:].strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("write the time as until 2026-12-24T09:00Z (UTC).") from None
        if when.tzinfo is None:
            raise ValueError("give the time in UTC, ending in Z, as until 2026-12-24T09:00Z.")
        return when
    raise ValueError("write a duration (30m, 2h, 3d), until 2026-12-24T09:00Z, or review (a person decides).")


def _check_hold(arg: str) -> str:
    try:
        hold_until(arg, datetime.now().astimezone())
    except ValueError as exc:
        return str(exc)
    return ""


def _describe_hold(arg: str) -> str:
    text = arg.strip()
    if text.lower() in ("", "review"):
        return "hold the order (Pending) until a person releases it"
    return f"hold the order (Pending) {text if text.lower().startswith('until') else 'for ' + text}"


def _hold(ctx: Context, arg: str) -> Outcome:
    if ctx.order.holds.filter(rule=ctx.rule).exists():
        ctx.log("held this order before and it was released; it goes on.")
        return Outcome.GO_ON
    holds.hold(ctx.order, until=hold_until(arg, ctx.now), reason=f"rule '{ctx.rule.name}'", rule=ctx.rule,
               actor=ctx.actor, now=ctx.now)
    return Outcome.STOP_ORDER


register(RuleAction("hold", "30m, 2h, 3d, until 2026-12-24T09:00Z, or review", _check_hold, _describe_hold, _hold))


# bundle ---------------------------------------------------------------------------------------------------

def _bundle(ctx: Context, arg: str) -> Outcome:
    absorbed = absorb_partners(ctx.order, ctx.actor, Mapper.for_connection(ctx.order.connection))
    if absorbed:
        numbers = ", ".join(f"#{o.number}" for o in absorbed)
        ctx.log(f"bundled {numbers} into this order: they ship in one box to the same address.", event=Event.BUNDLED)
    return Outcome.GO_ON


register(RuleAction("bundle", "no argument", _anything,
                    lambda a: "bundle the customer's other open orders to the same address into this one", _bundle))


# add an item, remove an item --------------------------------------------------------------------------------

def _item(arg: str) -> tuple[str, int, str]:
    parts = arg.split(maxsplit=2)
    if not parts:
        raise ValueError("give the SKU, then the quantity and a name if you like: GIFT-CARD 1 Thank-you card.")
    quantity = 1
    if len(parts) > 1:
        if not parts[1].isdigit() or int(parts[1]) < 1:
            raise ValueError(f"the quantity '{parts[1]}' must be a whole number of 1 or more.")
        quantity = int(parts[1])
    return parts[0], quantity, parts[2] if len(parts) > 2 else ""


def _check_item(arg: str) -> str:
    try:
        _item(arg)
    except ValueError as exc:
        return str(exc)
    return ""


def _describe_add(arg: str) -> str:
    sku, quantity, name = _item(arg)
    return f"add {quantity} × {sku}{f' ({name})' if name else ''}"


def _add_item(ctx: Context, arg: str) -> Outcome:
    sku, quantity, name = _item(arg)
    line_id = f"rule-{ctx.rule.pk}-{sku}"
    if ctx.order.lines.filter(line_id=line_id).exists():
        return Outcome.GO_ON
    components: list[dict] = []
    if ctx.hook == Hook.BEFORE_SEND:  # already mapped: the new line must be too
        found = Mapper.for_connection(ctx.order.connection).components(sku)
        if found is None:
            ctx.log(f"could not add {sku}: it has no listing and is not a warehouse SKU.", level="warning")
            return Outcome.GO_ON
        components = found
    first = ctx.order.destinations[0]["ref"] if ctx.order.destinations else ""  # once, with the first address
    OrderLine.objects.create(order=ctx.order, line_id=line_id, sku=sku, name=name[:300], quantity=quantity,
                             components=components, added=True, destination_ref=first)
    ctx.log(f"added {quantity} × {sku}{f' ({name})' if name else ''}.")
    return Outcome.GO_ON


def _remove_item(ctx: Context, arg: str) -> Outcome:
    sku = arg.strip()
    removed, _ = ctx.order.lines.filter(sku__iexact=sku).delete()
    if removed:
        ctx.log(f"removed {sku} from what goes to the warehouse.")
    return Outcome.GO_ON


register(RuleAction("add_item", "SKU [quantity] [name]", _check_item, _describe_add, _add_item))
register(RuleAction("remove_item", "SKU", _needed("the SKU"), lambda a: f"remove {a.strip()}", _remove_item))


# shipping -------------------------------------------------------------------------------------------------

def _set_shipping(ctx: Context, arg: str) -> Outcome:
    method = arg.strip()
    if ctx.hook == Hook.BEFORE_SEND and Mapper.for_connection(ctx.order.connection).shipping(method) is None:
        ctx.log(f"could not set the shipping method to '{method}': no shipping rule maps it.", level="warning")
        return Outcome.GO_ON
    for dest in ctx.order.destinations:
        dest["shipping_method"] = method
        dest.pop("carrier", None)
        dest.pop("service", None)
    ctx.order.save(update_fields=["destinations", "updated_at"])
    ctx.log(f"set the shipping method to '{method}'.")
    return Outcome.GO_ON


def _set_carrier(ctx: Context, arg: str) -> Outcome:
    carrier, _, service = arg.strip().partition(" ")
    for dest in ctx.order.destinations:
        dest["carrier"], dest["service"] = carrier, service.strip()
    ctx.order.save(update_fields=["destinations", "updated_at"])
    ctx.log(f"set the carrier to {carrier} {service.strip()}".rstrip() + ".")
    return Outcome.GO_ON


register(RuleAction("set_shipping", "the store's shipping method", _needed("the shipping method"),
                    lambda a: f"set the shipping method to '{a.strip()}'", _set_shipping))
register(RuleAction("set_carrier", "CARRIER [SERVICE]", _needed("the carrier code"),
                    lambda a: f"send it with carrier {a.strip()}", _set_carrier))


# notes, priority, tags ------------------------------------------------------------------------------------

def _set_notes(ctx: Context, arg: str) -> Outcome:
    ctx.order.notes = arg.strip()
    ctx.order.save(update_fields=["notes", "updated_at"])
    ctx.log(f"set the notes for the warehouse to '{ctx.order.notes}'.")
    return Outcome.GO_ON


def _check_priority(arg: str) -> str:
    return "" if re.fullmatch(r"-?\d{1,6}", arg.strip()) else "give the priority as a whole number (higher goes first)."


def _set_priority(ctx: Context, arg: str) -> Outcome:
    ctx.order.priority = int(arg.strip())
    ctx.order.save(update_fields=["priority", "updated_at"])
    ctx.log(f"set the priority to {ctx.order.priority}.")
    return Outcome.GO_ON


def _check_tag(arg: str) -> str:
    return "" if re.fullmatch(r"[\w.-]{1,40}", arg.strip()) else "give one word (letters, digits, - . _) as the tag."


def _add_tag(ctx: Context, arg: str) -> Outcome:
    tag = arg.strip()
    if tag not in ctx.order.tags:
        ctx.order.tags = [*ctx.order.tags, tag]
        ctx.order.save(update_fields=["tags", "updated_at"])
        ctx.log(f"tagged the order '{tag}'.")
    return Outcome.GO_ON


register(RuleAction("set_notes", "the text", _anything, lambda a: f"set the notes to '{a.strip()}'", _set_notes))
register(RuleAction("set_priority", "a whole number", _check_priority,
                    lambda a: f"set the priority to {a.strip()}", _set_priority))
register(RuleAction("add_tag", "a word", _check_tag, lambda a: f"tag the order '{a.strip()}'", _add_tag))


# route, split ---------------------------------------------------------------------------------------------

def _merchant_warehouses(rule: Rule) -> list[str]:
    """The names of the warehouses the rule's connection (or its merchant's connections) ship from."""
    connections = ([rule.connection] if rule.connection_id
                   else Connection.objects.filter(merchant_id=rule.merchant_id).select_related("warehouse"))
    names: list[str] = []
    for connection in connections:
        names += [w.name for w in connection.warehouses() if w.name not in names]
    return names


def _check_route_for(rule: Rule, arg: str) -> str:
    names = _merchant_warehouses(rule)
    if any(n.lower() == arg.strip().lower() for n in names):
        return ""
    return f"'{arg.strip()}' is not a warehouse of {'the connection' if rule.connection_id else 'the merchant'}; " \
           f"use one of: {', '.join(names) or 'none (add a warehouse first)'}."


def _route(ctx: Context, arg: str) -> Outcome:
    name = arg.strip()
    warehouses = ctx.order.connection.warehouses()
    warehouse = next((w for w in warehouses if w.name.lower() == name.lower()), None)
    if warehouse is None:
        ctx.log(f"could not route the order to warehouse '{name}': connection {ctx.order.connection.name} ships "
                f"from {', '.join(w.name for w in warehouses)} only. The order goes on as without this rule.",
                level="warning", event=Event.WARNING)
        return Outcome.GO_ON
    try:
        route_to_warehouse(ctx.order, warehouse, actor=ctx.actor)
    except ActionRefused as exc:
        ctx.log(f"could not route the order to warehouse {warehouse.name}: {exc}", level="warning",
                event=Event.WARNING)
        return Outcome.GO_ON
    return Outcome.ROUTED


def _check_split(arg: str) -> str:
    return "" if arg.strip().lower() == "availability" else "write split: availability."


def _split(ctx: Context, arg: str) -> Outcome:
    try:
        split_by_availability(ctx.order, actor=ctx.actor)
    except ActionRefused as exc:
        ctx.log(f"could not split the order: {exc}", level="warning", event=Event.WARNING)
        return Outcome.GO_ON
    return Outcome.ROUTED


register(RuleAction("route", "a warehouse's name", _needed("the warehouse's name"),
                    lambda a: f"route the whole order to warehouse {a.strip()}", _route, _check_route_for))
register(RuleAction("split", "availability", _check_split,
                    lambda a: "split the order across the connection's warehouses by what each has in stock",
                    _split))
