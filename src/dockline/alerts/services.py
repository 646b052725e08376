"""Evaluate alert policies: open an alert per new cause, update it while it recurs, close it once it clears.

`evaluate_alerts(now=)` runs every policy's conditions (`conditions.py`). A cause found again updates
its open (or acknowledged) alert: counts, last seen, the latest detail; no second mail. A cause not
found for the policy's `auto_close_hours` (24 by default) is closed with a sentence saying so, and
its recipients are told. Opening and closing publish `alert.opened` / `alert.closed` for webhooks.
The periodic job (`run_periodic`, every ALERTS_EVERY_SECONDS) evaluates, sends the daily digests
of the policies that want one, and sends due webhook deliveries.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from dockline.accounts.models import Organization, Role
from dockline.alerts import events
from dockline.alerts.channels import email, webhook
from dockline.alerts.conditions import CHECKS, Finding
from dockline.alerts.models import Alert, AlertPolicy
from dockline.alerts.status import AlertState, Condition

log = logging.getLogger(__name__)
LIVE = (AlertState.OPEN, AlertState.ACKNOWLEDGED)
DIGEST_EVERY = timedelta(days=1)


def ensure_default_policy(organization: Organization) -> AlertPolicy | None:
    """An organization with no policy gets one watching every condition, mailing its administrators."""
    if organization.alert_policies.exists():
        return None
    admins = organization.members.filter(role=Role.ADMIN, user__is_active=True).exclude(user__email="")
    return AlertPolicy.objects.create(
        organization=organization, name="Everything, to the administrators", conditions=list(Condition.values),
        recipients="\n".join(admins.values_list("user__email", flat=True)))


def evaluate_alerts(now: datetime | None = None) -> dict:
    """Evaluate every enabled policy of every organization at `now`; returns counts of what changed."""
    now = now or timezone.now()
    counts = {"opened": 0, "updated": 0, "closed": 0}
    for organization in Organization.objects.all():
        ensure_default_policy(organization)
    for policy in AlertPolicy.objects.filter(enabled=True).select_related("organization"):
        try:
            changed = evaluate_policy(policy, now)
        except Exception:  # one policy's failing check must not silence the others' alerts
            log.exception("alert policy %s (%s) could not be evaluated", policy.id, policy.organization)
            continue
        for key, n in changed.items():
            counts[key] += n
    return counts


def evaluate_policy(policy: AlertPolicy, now: datetime) -> dict:
    counts = {"opened": 0, "updated": 0, "closed": 0}
    connections = list(policy.watched_connections())
    seen: set[str] = set()
    for value in policy.conditions:
        condition = Condition(value)
        for finding in CHECKS[condition](connections, policy.threshold(condition), now):
            seen.add(finding.cause)
            counts["opened" if record(policy, condition, finding, now) else "updated"] += 1
    quiet = now - timedelta(hours=policy.auto_close_hours)
    for alert in policy.alerts.filter(state__in=LIVE, last_seen__lte=quiet).exclude(cause__in=seen):
        close(alert, now, reason=f"Closed by Dockline: not seen since {alert.last_seen:%Y-%m-%d %H:%M} UTC "
                                 f"({policy.auto_close_hours} hours without recurrence).")
        counts["closed"] += 1
    return counts


def record(policy: AlertPolicy, condition: Condition, finding: Finding, now: datetime) -> bool:
    """Update the live alert of this cause, or open one (mailed, published); True when opened."""
    fields = {"title": finding.title, "detail": finding.detail, "todo": finding.todo, "path": finding.path,
              "count": finding.count, "connection": finding.connection}
    alert = policy.alerts.filter(cause=finding.cause, state__in=LIVE).first()
    if alert is not None:
        for name, value in fields.items():
            setattr(alert, name, value)
        alert.last_seen, alert.seen = now, alert.seen + 1
        if alert.notify_error:  # the mail could not go when it opened: try again while it lasts
            alert.notify_error = email.send_alert(alert)
        alert.save()
        return False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(policy=policy, organization=policy.organization, condition=condition,
                                         cause=finding.cause, first_seen=now, last_seen=now, **fields)
    except IntegrityError:  # another scheduler opened it a moment ago
        return False
    log.warning("Alert opened: %s", alert.title, extra={"connection_id": finding.connection.id})
    _tell(alert, events.ALERT_OPENED)
    return True


def close(alert: Alert, now: datetime, *, reason: str) -> None:
    alert.move_to(AlertState.CLOSED, closed_at=now, closed_reason=reason)
    log.info("Alert closed: %s", alert.title, extra={"connection_id": alert.connection_id})
    _tell(alert, events.ALERT_CLOSED)


def _tell(alert: Alert, kind: str) -> None:
    closed = kind == events.ALERT_CLOSED
    problem = email.send_alert(alert, closed=closed)
    if problem != alert.notify_error:
        alert.notify_error = problem
        alert.save(update_fields=["notify_error"])
    policy_endpoints = list(alert.policy.endpoints.values_list("id", flat=True))
    text = f"{'Resolved: ' if closed else ''}{alert.title}"
    payload = {"alert": {"id": alert.id, "condition": alert.condition, "state": alert.state, "title": alert.title,
                         "detail": alert.detail, "todo": alert.todo, "link": email.link(alert.path),
                         "count": alert.count, "first_seen": alert.first_seen.isoformat(),
                         "closed_reason": alert.closed_reason},
               "text": f"{text} - {email.link(alert.path)}"}
    events.publish(alert.organization_id, kind, payload, connection=alert.connection, endpoints=policy_endpoints)


def send_digests(now: datetime | None = None) -> int:
    """Mail the daily summary of each policy that wants one and has not had it for a day; returns how many."""
    now = now or timezone.now()
    sent = 0
    for policy in AlertPolicy.objects.filter(enabled=True, digest=True).select_related("organization"):
        if policy.digest_sent_at and now - policy.digest_sent_at < DIGEST_EVERY:
            continue
        since = now - DIGEST_EVERY
        alerts = list(policy.alerts.filter(state__in=LIVE) | policy.alerts.filter(closed_at__gte=since))
        email.send_digest(policy, alerts, now)
        policy.digest_sent_at = now
        policy.save(update_fields=["digest_sent_at"])
        sent += 1
    return sent


def run_periodic(now: datetime) -> None:
    """The scheduler's alerts job: evaluate, send digests, send due webhook deliveries."""
    evaluate_alerts(now)
    send_digests(now)
    webhook.deliver_due(now)
