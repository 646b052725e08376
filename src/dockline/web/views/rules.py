"""Rules pages: the list per merchant (order, switch), the create/edit form, the Test trace, held and abandoned orders."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.orders.actions import ActionRefused
from dockline.rules import decisions, services
from dockline.rules.abandoned import abandoned_orders
from dockline.rules.engine import trace_rule
from dockline.rules.forms import HoldSettingsForm, RuleForm, action_help
from dockline.rules.holds import held_orders
from dockline.web import scope


def _manager(request) -> None:
    permissions.require(permissions.can_manage_connections(request.user))


@login_required
def rule_list(request):
    rules = scope.rules(request.user).order_by("merchant__name", "position", "id")
    merchants = {}
    for rule in rules:
        merchants.setdefault(rule.merchant, []).append(rule)
    connections = scope.connections(request.user).select_related("merchant")
    return render(request, "web/rules.html", {
        "merchants": merchants, "connections": [(c, HoldSettingsForm(instance=c)) for c in connections],
        "can_manage": permissions.can_manage_connections(request.user)})


@login_required
def rule_edit(request, pk: int | None = None):
    rule = scope.rule(request.user, pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule, merchants=scope.merchants(request.user),
                    connections=scope.connections(request.user))
    if request.method == "POST":
        _manager(request)
        if form.is_valid():
            saved = services.save_rule(form.instance)
            state = "active" if saved.active else "inactive: switch it on when its Test shows what you expect"
            messages.success(request, f"Rule '{saved.name}' saved ({state}).")
            return redirect("rule_test", pk=saved.pk)
    return render(request, "web/rule_form.html", {"form": form, "rule": rule, "actions": action_help()})


@login_required
def rule_test(request, pk: int):
    rule = scope.rule(request.user, pk)
    orders = scope.orders(request.user).filter(connection__merchant=rule.merchant).select_related("store")
    number = request.GET.get("order", "").strip().lstrip("#")
    trace = None
    if number:
        order = orders.filter(number=number).first()
        if order is None:
            messages.error(request, f"No order #{number} of {rule.merchant.name} is in Dockline.")
        else:
            trace = trace_rule(rule, order)
    return render(request, "web/rule_test.html", {"rule": rule, "trace": trace, "number": number,
                                                  "recent": orders.order_by("-placed_at")[:10]})


@require_POST
@login_required
def rule_switch(request, pk: int):
    _manager(request)
    rule = scope.rule(request.user, pk)
    services.switch_rule(rule, request.POST.get("active") == "1")
    messages.success(request, f"Rule '{rule.name}' is {'on' if rule.active else 'off'}.")
    return redirect("rules")


@require_POST
@login_required
def rule_move(request, pk: int):
    _manager(request)
    services.move_rule(scope.rule(request.user, pk), -1 if request.POST.get("step") == "up" else 1)
    return redirect("rules")


@require_POST
@login_required
def hold_settings(request, pk: int):
    _manager(request)
    form = HoldSettingsForm(request.POST, instance=scope.connection(request.user, pk))
    if form.is_valid():
        form.save()
        messages.success(request, f"{form.instance.name}: hold and Abandoned settings saved.")
    else:
        for problem in (p for problems in form.errors.values() for p in problems):
            messages.error(request, problem)
    return redirect("rules")


@login_required
def held_list(request):
    return render(request, "web/held.html", {"holds": held_orders(scope.connections(request.user)),
                                             "can_act": permissions.can_manage_connections(request.user)})


@require_POST
@login_required
def hold_decide(request, pk: int):
    _manager(request)
    order = get_object_or_404(scope.orders(request.user), pk=pk)
    try:
        if request.POST.get("decision") == "extend":
            until = decisions.extend(order, request.user, _minutes(request.POST.get("minutes", "")))
            messages.success(request, f"#{order.number} is held until {until:%Y-%m-%d %H:%M} UTC.")
        else:
            decisions.release(order, request.user)
            messages.success(request, f"#{order.number} released; it goes to the warehouse on the next run.")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    back = request.POST.get("back", "")
    return redirect(back if back.startswith("/orders/") else "held")


def _minutes(raw: str) -> int:
    return int(raw) if raw.strip().isdigit() else 0


@login_required
def abandoned_list(request):
    return render(request, "web/abandoned.html", {"rows": abandoned_orders(scope.connections(request.user)),
                                                  "can_act": permissions.can_manage_connections(request.user)})
