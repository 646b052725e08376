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
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dockline.accounts.models import Organization, Role
from dockline.alerts import events
from dockline.alerts.channels import email, webhook
from dockline.alerts.conditions import CHECKS, Finding, Scope
from dockline.alerts.models import Alert, AlertPolicy
from dockline.alerts.status import AlertState, Condition
from dockline.connections.models import Connection

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
    """Evaluate every enabled policy of every organization at `now`; returns counts of what changed.

    Each condition is checked once per threshold in use, over the connections of every policy that
    watches it with that threshold (a constant number of queries, however many connections); each
    policy then keeps the findings on its own connections. A condition whose check fails is logged
    and skipped (its alerts are neither updated nor closed); the others go on."""
    now = now or timezone.now()
    counts = {"opened": 0, "updated": 0, "closed": 0}
    for organization in Organization.objects.filter(alert_policies__isnull=True):
        ensure_default_policy(organization)
    policies = {p.id: p for p in AlertPolicy.objects.filter(enabled=True).select_related("organization")}
    watched = _watched_connections(list(policies.values()))
    found: dict[int, dict[str, tuple[Condition, Finding]]] = {i: {} for i in policies}
    failed: dict[int, set[str]] = defaultdict(set)
    groups: dict[tuple[Condition, float], list[AlertPolicy]] = defaultdict(list)
    for policy in policies.values():
        for value in policy.conditions:
            groups[(Condition(value), policy.threshold(Condition(value)))].append(policy)
    for (condition, threshold), members in groups.items():
        scope = {c.id: c for policy in members for c in watched[policy.id]}
        try:
            findings = CHECKS[condition](Scope(sorted(scope.values(), key=lambda c: (c.name, c.id))), threshold, now)
        except Exception:  # one condition's failing check must not silence the others' alerts
            log.exception("alert condition %s (threshold %g) could not be evaluated", condition.value, threshold)
            for policy in members:
                failed[policy.id].add(condition.value)
            continue
        for policy in members:
            mine = {c.id for c in watched[policy.id]}
            for finding in findings:  # a cause found on several connections: the last one names it
                if finding.connection.id in mine:
                    found[policy.id][finding.cause] = (condition, finding)
    live: dict[int, dict[str, Alert]] = defaultdict(dict)
    for alert in Alert.objects.filter(policy_id__in=list(policies), state__in=LIVE).order_by("id"):
        alert.policy = policies[alert.policy_id]
        live[alert.policy_id][alert.cause] = alert
    seen_again: list[tuple[Alert, bool]] = []
    for policy_id, policy in policies.items():
        try:
            changed = _record_policy(policy, found[policy_id], live[policy_id], failed[policy_id], now, seen_again)
        except Exception:  # one policy's failing mail or webhook must not silence the others' alerts
            log.exception("alert policy %s (%s) could not be evaluated", policy.id, policy.organization)
            continue
        for key, n in changed.items():
            counts[key] += n
    _save_seen_again(seen_again, now)
    return counts


def _watched_connections(policies: list[AlertPolicy]) -> dict[int, list[Connection]]:
    """Each policy's enabled connections, narrowed to its merchants and connections if it names any (3 queries)."""
    ids = [p.id for p in policies]
    chosen, merchants = defaultdict(set), defaultdict(set)
    for policy_id, connection_id in AlertPolicy.connections.through.objects.filter(
            alertpolicy_id__in=ids).values_list("alertpolicy_id", "connection_id"):
        chosen[policy_id].add(connection_id)
    for policy_id, merchant_id in AlertPolicy.merchants.through.objects.filter(
            alertpolicy_id__in=ids).values_list("alertpolicy_id", "merchant_id"):
        merchants[policy_id].add(merchant_id)
    of_organization = defaultdict(list)
    for connection in (Connection.objects.filter(enabled=True, organization_id__in={p.organization_id for p in policies})
                       .select_related("store", "warehouse", "merchant")):
        of_organization[connection.organization_id].append(connection)
    return {p.id: [c for c in of_organization[p.organization_id]
                   if (not chosen[p.id] or c.id in chosen[p.id]) and (not merchants[p.id] or c.merchant_id in merchants[p.id])]
            for p in policies}


def _record_policy(policy: AlertPolicy, found: dict[str, tuple[Condition, Finding]], live: dict[str, Alert],
                   failed: set[str], now: datetime, seen_again: list[tuple[Alert, bool]]) -> dict:
    """Open the new causes, note the ones found again (saved together later), close the quiet ones."""
    counts = {"opened": 0, "updated": 0, "closed": 0}
    for cause, (condition, finding) in found.items():
        alert = live.get(cause)
        if alert is None:
            counts["opened" if _open(policy, condition, finding, now) else "updated"] += 1
            continue
        fields = _fields(finding)
        changed = bool(alert.notify_error) or alert.connection_id != finding.connection.id or any(
            getattr(alert, name) != value for name, value in fields.items() if name != "connection")
        for name, value in fields.items():
            setattr(alert, name, value)
        if alert.notify_error:  # the mail could not go when it opened: try again while it lasts
            alert.notify_error = email.send_alert(alert)
        seen_again.append((alert, changed))
        counts["updated"] += 1
    quiet = now - timedelta(hours=policy.auto_close_hours)
    for cause, alert in live.items():
        if cause not in found and alert.condition not in failed and alert.last_seen <= quiet:
            close(alert, now, reason=f"Closed by Dockline: not seen since {alert.last_seen:%Y-%m-%d %H:%M} UTC "
                                     f"({policy.auto_close_hours} hours without recurrence).")
            counts["closed"] += 1
    return counts


SEEN_FIELDS = ["title", "detail", "todo", "path", "count", "connection", "notify_error"]


def _fields(finding: Finding) -> dict:
    return {"title": finding.title, "detail": finding.detail, "todo": finding.todo, "path": finding.path,
            "count": finding.count, "connection": finding.connection}


def _save_seen_again(alerts: list[tuple[Alert, bool]], now: datetime) -> None:
    """Found again: last seen and times seen in one update; what changed (counts, detail) in one bulk update."""
    Alert.objects.filter(id__in=[a.id for a, _ in alerts]).update(last_seen=now, seen=F("seen") + 1)
    Alert.objects.bulk_update([a for a, changed in alerts if changed], SEEN_FIELDS, batch_size=500)
    for alert, _ in alerts:
        alert.last_seen, alert.seen = now, alert.seen + 1


def _open(policy: AlertPolicy, condition: Condition, finding: Finding, now: datetime) -> bool:
    """Open an alert for a new cause (mailed, published); False when another scheduler opened it a moment ago."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(policy=policy, organization=policy.organization, condition=condition,
                                         cause=finding.cause, first_seen=now, last_seen=now, **_fields(finding))
    except IntegrityError:
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
