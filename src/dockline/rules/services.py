"""Saving rules (checked first: invalid CEL is refused with where the error is), ordering and switching them."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from dockline.rules.actions import check_action
from dockline.rules.expressions import compile_problem
from dockline.rules.models import Rule


def rule_problems(rule: Rule) -> dict[str, list[str]]:
    """What keeps `rule` from being saved, by field; empty when it can be."""
    errors: dict[str, list[str]] = {}
    for number, line in enumerate(rule.condition_lines, start=1):
        problem = compile_problem(line)
        if problem:
            errors.setdefault("conditions", []).append(f"Condition {number} ({line}): {problem}")
    if not rule.action_lines:
        errors["actions"] = ["Give at least one action."]
    for number, (name, arg) in enumerate(rule.action_lines, start=1):
        problem = check_action(name, arg, rule)
        if problem:
            errors.setdefault("actions", []).append(f"Action {number} ({name}): {problem}")
    if rule.connection_id and rule.connection.merchant_id != rule.merchant_id:
        errors["connection"] = ["That connection belongs to another merchant."]
    return errors


def check_rule(rule: Rule) -> None:
    """Raise `ValidationError` (by field) when the rule cannot be saved."""
    problems = rule_problems(rule)
    if problems:
        raise ValidationError(problems)


def save_rule(rule: Rule) -> Rule:
    """Check and save `rule`; a new one goes last in its merchant's list, and starts inactive."""
    check_rule(rule)
    if rule.pk is None:
        rule.active = False
        last = Rule.objects.filter(merchant=rule.merchant).order_by("-position").first()
        rule.position = (last.position + 1) if last else 1
    rule.save()
    return rule


def switch_rule(rule: Rule, active: bool) -> None:
    rule.active = active
    rule.save(update_fields=["active", "updated_at"])


def move_rule(rule: Rule, step: int) -> None:
    """Move the rule one place up (step -1) or down (+1) in its merchant's order."""
    with transaction.atomic():
        rules = list(Rule.objects.filter(merchant=rule.merchant).order_by("position", "id"))
        at = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        to = at + step
        if 0 <= to < len(rules):
            rules[at], rules[to] = rules[to], rules[at]
        for position, r in enumerate(rules, start=1):
            if r.position != position:
                r.position = position
                r.save(update_fields=["position"])
