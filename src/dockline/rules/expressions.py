"""CEL conditions: compiling them (with the position of an error) and the activation built from an order.

CEL (the Common Expression Language) runs through cel-python: a maintained implementation with its own
grammar, no `eval` and no access to Python objects beyond the plain values handed to it here. The
activation is two variables: `order` (a map, described in docs/rules.md) and `now` (a timestamp).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import celpy
from celpy import celtypes

from dockline.orders.models import Order, OrderLine

# Keys of a billing address as BigCommerce, UltraCart and Acumatica write them in the order's raw JSON,
# read into the same names as the ship-to address.
_BILLING_KEYS = {
    "name": ("name", "full_name"), "company": ("company",), "street1": ("street_1", "address1", "street1"),
    "street2": ("street_2", "address2", "street2"), "city": ("city",), "state": ("state", "state_region"),
    "postal_code": ("zip", "postal_code", "postal_code"), "country": ("country_iso2", "country_code", "country"),
    "email": ("email",), "phone": ("phone", "day_phone"),
}


def compile_problem(expression: str) -> str:
    """'' when `expression` compiles, else where and what the error is ("line 1, column 9: ...")."""
    try:
        _program(expression)
    except celpy.CELParseError as exc:
        if exc.line is None:
            return "this is not a valid CEL expression: it ends too early."
        text = expression.splitlines()[exc.line - 1] if expression.splitlines() else ""
        near = text[max(exc.column - 1, 0):][:20] or "the end"
        return f"line {exc.line}, column {exc.column}: this is not valid CEL, near “{near}”."
    return ""


@lru_cache(maxsize=1)
def _environment() -> celpy.Environment:
    """Built on first use (its grammar takes a moment), not when Dockline starts."""
    return celpy.Environment()


@lru_cache(maxsize=512)
def _program(expression: str) -> celpy.Runner:
    return _environment().program(_environment().compile(expression))


@dataclass(frozen=True)
class Value:
    """A condition's value: True/False, or the error that kept it from having one (then the rule does not act)."""

    expression: str
    value: object = None
    error: str = ""

    @property
    def true(self) -> bool:
        return not self.error and self.value is True


def evaluate(expression: str, activation: dict) -> Value:
    try:
        result = _program(expression).evaluate(activation)
    except celpy.CELEvalError as exc:
        return Value(expression, error=str(exc.args[0]) if exc.args else "cannot be evaluated")
    if isinstance(result, celpy.CELEvalError):
        return Value(expression, error=str(result.args[0]) if result.args else "cannot be evaluated")
    if not isinstance(result, celtypes.BoolType):
        return Value(expression, error=f"gives {_plain(result)!r}, not true or false")
    return Value(expression, bool(result))


def _plain(value):
    return value if isinstance(value, (str, int, float)) else str(value)


def activation(order: Order, now: datetime) -> dict:
    """The variables a condition sees: `order` and `now`."""
    lines = list(OrderLine.objects.filter(order=order).order_by("id"))  # afresh: an earlier rule may change them
    destinations = order.destinations or []
    first = destinations[0] if destinations else {"address": {}, "shipping_method": ""}
    subtotal = sum((Decimal(line.unit_price) * line.quantity for line in lines), Decimal("0"))
    data = {
        "number": order.number,
        "external_id": order.external_id,
        "status": order.status,
        "store": {"name": order.store.name, "platform": order.store.platform},
        "channel": order.store.platform,
        "connection": order.connection.name,
        "ship_to": dict(first.get("address", {})),
        "destinations": [{"address": dict(d.get("address", {})), "shipping_method": d.get("shipping_method", "")}
                         for d in destinations],
        "billing": billing_address(order.raw),
        "lines": [{"sku": line.sku, "name": line.name, "quantity": line.quantity,
                   "unit_price": float(line.unit_price)} for line in lines],
        "skus": sorted({line.sku for line in lines if line.sku}),
        "units": sum(line.quantity for line in lines),
        "total": float(_store_total(order.raw, subtotal)),
        "subtotal": float(subtotal),
        "shipping_method": first.get("shipping_method", ""),
        "tags": list(order.tags),
        "customer": {"email": order.customer_email},
        "notes": order.notes,
        "priority": order.priority,
    }
    cel = celpy.json_to_cel(data)
    cel["placed_at"] = celtypes.TimestampType(order.placed_at)
    cel["modified_at"] = celtypes.TimestampType(order.store_modified_at)
    return {"order": cel, "now": celtypes.TimestampType(now)}


def billing_address(raw: dict) -> dict:
    """The billing address in the order's raw JSON, in the ship-to's names; empty strings where unknown."""
    source = raw.get("billing_address") or raw.get("billing") or {}
    if not isinstance(source, dict):
        source = {}
    found = {}
    for name, keys in _BILLING_KEYS.items():
        found[name] = next((str(source[k]) for k in keys if source.get(k)), "")
    if not found["name"] and (source.get("first_name") or source.get("last_name")):
        found["name"] = f"{source.get('first_name', '')} {source.get('last_name', '')}".strip()
    return found


def _store_total(raw: dict, subtotal: Decimal) -> Decimal:
    """The store's order total where its raw JSON has one (BigCommerce total_inc_tax), else the lines' sum."""
    for key in ("total_inc_tax", "total", "order_total"):
        try:
            return Decimal(str(raw[key]))
        except (KeyError, ArithmeticError, ValueError, TypeError):
            continue
    return subtotal
