"""Alert policies, the alerts they open (one per cause), and outbound webhook endpoints with their deliveries.

These models sit just above `connections` (they import nothing of orders or sync), so that the
domain services can publish events (`alerts/events.py`) without an import circle.
"""
from __future__ import annotations

import secrets

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.alerts.status import (
    DEFAULTS,
    EXPLANATIONS,
    AlertState,
    Condition,
    DeliveryState,
    check_delivery_transition,
    check_transition,
)
from dockline.connections.models import Connection
from dockline.core.crypto import EncryptedJSONField


class EndpointFormat(models.TextChoices):
    JSON = "json", "JSON events (signed)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"


class Endpoint(models.Model):
    """An address Dockline posts events to, signed with the endpoint's secret (HMAC-SHA256)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alert_endpoints")
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    format = models.CharField(max_length=8, choices=EndpointFormat.choices, default=EndpointFormat.JSON)
    events = models.JSONField(default=list, blank=True)  # event kinds wanted; empty: every kind
    secrets = EncryptedJSONField(default=dict)  # {"secret": "..."}
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        return self.secrets.get("secret", "")

    @staticmethod
    def new_secret() -> str:
        return "whsec_" + secrets.token_urlsafe(32)

    def wants(self, kind: str) -> bool:
        return self.enabled and (not self.events or kind in self.events)


class AlertPolicy(models.Model):
    """Which conditions to watch (with thresholds), over which connections, and who is told how."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alert_policies")
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=list)  # Condition values
    thresholds = models.JSONField(default=dict, blank=True)  # {condition: number}; missing: DEFAULTS
    merchants = models.ManyToManyField(Merchant, blank=True, related_name="+")  # empty: every merchant
    connections = models.ManyToManyField(Connection, blank=True, related_name="+")  # empty: every connection
    recipients = models.TextField(blank=True)  # email addresses, one per line or comma-separated
    email = models.BooleanField(default=True)
    endpoints = models.ManyToManyField(Endpoint, blank=True, related_name="policies")
    auto_close_hours = models.PositiveIntegerField(default=24)
    digest = models.BooleanField(default=False)  # a daily summary per recipient
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "alert policies"

    def __str__(self) -> str:
        return self.name

    def threshold(self, condition: Condition) -> float:
        return float(self.thresholds.get(condition, DEFAULTS[condition][0]))

    def recipient_list(self) -> list[str]:
        return [a.strip() for a in self.recipients.replace(",", "\n").splitlines() if a.strip()]

    def watched_connections(self):
        found = Connection.objects.filter(organization=self.organization, enabled=True)
        if self.pk and self.connections.exists():
            found = found.filter(id__in=self.connections.values("id"))
        if self.pk and self.merchants.exists():
            found = found.filter(merchant__in=self.merchants.all())
        return found.select_related("store", "warehouse", "merchant")


class Alert(models.Model):
    """One cause a policy found: opened once, updated while it recurs, closed when it clears."""

    policy = models.ForeignKey(AlertPolicy, on_delete=models.CASCADE, related_name="alerts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alerts")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    condition = models.CharField(max_length=24, choices=Condition.choices)
    cause = models.CharField(max_length=200)  # e.g. "runs_failing:channel:12"; one open alert per cause
    state = models.CharField(max_length=16, choices=AlertState.choices, default=AlertState.OPEN, db_index=True)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)  # what happened, in the merchant's words
    todo = models.TextField(blank=True)  # what to do
    path = models.CharField(max_length=300, blank=True)  # the dashboard page to go to
    count = models.PositiveIntegerField(default=1)  # how many things the cause covers now (orders, runs, files)
    seen = models.PositiveIntegerField(default=1)  # evaluations that found it
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)
    notify_error = models.TextField(blank=True)  # why the last email could not go

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [models.UniqueConstraint(fields=["policy", "cause"], condition=~models.Q(state="closed"),
                                               name="uniq_open_alert_cause")]

    def __str__(self) -> str:
        return self.title

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[AlertState(self.state)]

    def move_to(self, state: AlertState, **fields) -> None:
        """Change state (checked against the table) with the fields that go with it, and save."""
        check_transition(self.state, state)
        self.state = state
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()


class Event(models.Model):
    """Something that happened, kept for the outbound webhooks (`alerts/events.py` publishes them)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, db_index=True)  # order.imported, shipment.posted, alert.opened, ...
    payload = models.JSONField(default=dict)
    connection = models.ForeignKey(Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    order_id = models.BigIntegerField(null=True, blank=True)  # not a key: orders sit above this layer
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.id}"


class Delivery(models.Model):
    """One event for one endpoint: its attempts, the last answer, and when it is tried next."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="uniq_delivery")]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"

    def move_to(self, state: DeliveryState, **fields) -> None:
        """Change state (checked against the table) with the fields that go with it, and save."""
        check_delivery_transition(self.state, state)
        self.state = state
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()
