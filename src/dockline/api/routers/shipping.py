"""Shipping rules of a connection: list, create or replace, delete."""
from __future__ import annotations

from ninja import Router, Status

from dockline.api import scope
from dockline.api.schemas import RuleIn, RuleOut
from dockline.mapping import services
from dockline.orders import held

router = Router(tags=["shipping rules"])


@router.get("/connections/{connection_id}/shipping-rules", response=list[RuleOut])
def list_rules(request, connection_id: int):
    return scope.connection(request.auth, connection_id).shipping_rules.all()


@router.post("/connections/{connection_id}/shipping-rules", response={201: RuleOut})
def save_rule(request, connection_id: int, body: RuleIn):
    """Create the rule, or replace the one for the same method (matched ignoring case and spacing)."""
    conn = scope.connection(request.auth, connection_id)
    rule = services.save_shipping_rule(conn, body.store_method, body.carrier, body.service)
    held.release_held_orders(conn)
    return Status(201, rule)


@router.delete("/connections/{connection_id}/shipping-rules/{rule_id}", response={204: None})
def delete_rule(request, connection_id: int, rule_id: int):
    rule = scope.rule(request.auth, connection_id, rule_id)
    services.delete_shipping_rule(rule.connection, rule)
    return Status(204, None)
