"""Order rules (ordered per merchant, optionally per connection) and the holds that keep orders back.

A rule is checked before it is saved (`rules/services.py` `check_rule`): each condition must compile as
CEL and each action must be one the registry knows with a usable argument. A new rule is inactive.
"""
from __future__ import annotations

from django.db import models

from dockline.accounts.models import Merchant
from dockline.connections.models import Connection
from dockline.orders.models import Order


class Hook(models.TextChoices):
    IMPORT = "import", "On import"
    BEFORE_SEND = "before_send", "Before sending to the warehouse"


class RuleQuerySet(models.QuerySet):
    def for_order(self, order: Order, hook: Hook) -> RuleQuerySet:
        """The active rules that apply to `order` at `hook`, in their order."""
        return self.for_connection(order.connection_id, hook)

    def for_connection(self, connection_id: int, hook: Hook) -> RuleQuerySet:
        """The active rules that apply at `hook` to every order of the connection, in their order."""
        return (self.filter(merchant__connections=connection_id, hook=hook, active=True)
                .filter(models.Q(connection__isnull=True) | models.Q(connection_id=connection_id))
                .order_by("position", "id"))  # one query: the connection is not read


class Rule(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="rules")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, null=True, blank=True, related_name="rules",
                                   help_text="Leave empty for every connection of the merchant.")
    position = models.PositiveIntegerField(default=0, help_text="Rules run from the lowest number up.")
    name = models.CharField(max_length=120)
    hook = models.CharField(max_length=16, choices=Hook.choices, default=Hook.IMPORT)
    conditions = models.TextField(
        help_text="One CEL expression per line; the rule acts when every line is true. Empty: every order.",
        blank=True)
    actions = models.TextField(help_text="One action per line, as name: argument (see the list below).")
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["merchant", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def condition_lines(self) -> list[str]:
        return [line.strip() for line in self.conditions.splitlines() if line.strip()]

    @property
    def action_lines(self) -> list[tuple[str, str]]:
        """(action name, argument) per non-empty line."""
        found = []
        for line in self.actions.splitlines():
            if line.strip():
                name, _, arg = line.partition(":")
                found.append((name.strip().lower(), arg.strip()))
        return found


class Hold(models.Model):
    """An order kept back from the warehouse: until a time, or (until empty) until a person decides."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, blank=True, related_name="holds")
    reason = models.CharField(max_length=300)
    until = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["until", "id"]

    def __str__(self) -> str:
        return f"{self.order} held: {self.reason}"
