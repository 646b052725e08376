"""Monitoring for whoever runs Dockline: the health check behind /healthz and the Prometheus collector
behind /metrics.

`health` checks the database, the broker when BROKER_URL is set, and that a scheduler ticked within
SCHEDULER_STALE_SECONDS. `DocklineCollector` reads the database at scrape time (nothing is counted
in memory, so every web process answers the same): orders by status, runs by channel and outcome,
run durations, seconds since each connection's channels last worked, scheduler lag, webhook
deliveries (outbound by state, inbound by verified), and alerts by state and condition.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

from dockline.alerts.models import Alert, Delivery
from dockline.connections.models import Channel
from dockline.orders.models import Order
from dockline.sync.models import SyncRun
from dockline.sync.periodic import last_beat
from dockline.webhooks.models import WebhookDelivery


def health(now: datetime | None = None) -> tuple[bool, dict]:
    """(healthy, the check's JSON body)."""
    now = now or timezone.now()
    checks: dict = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except DatabaseError as exc:
        checks["database"] = {"ok": False, "error": str(exc)}
    if settings.BROKER_URL:
        checks["broker"] = _broker()
    try:
        beat = last_beat()
    except DatabaseError:
        beat = None
    age = (now - beat).total_seconds() if beat else None
    fresh = age is not None and age <= settings.SCHEDULER_STALE_SECONDS
    checks["scheduler"] = {"ok": fresh, "last_beat": beat.isoformat() if beat else None,
                           "seconds_ago": round(age, 1) if age is not None else None}
    if not fresh:
        checks["scheduler"]["error"] = ("no scheduler has ever ticked" if beat is None else
                                        f"the scheduler last ticked {age:.0f} s ago "
                                        f"(more than {settings.SCHEDULER_STALE_SECONDS:.0f} s)")
    ok = all(check["ok"] for check in checks.values())
    return ok, {"status": "ok" if ok else "unhealthy", "checks": checks}


def _broker() -> dict:
    from kombu import Connection as BrokerConnection
    from kombu.exceptions import OperationalError

    try:
        with BrokerConnection(settings.BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return {"ok": True}
    except (OperationalError, OSError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def metrics_allowed(remote_addr: str, authorization: str) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a client in METRICS_NETWORKS; with neither set, loopback only."""
    token = settings.METRICS_TOKEN
    if token and authorization == f"Bearer {token}":
        return True
    try:
        client = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    if settings.METRICS_NETWORKS:
        return any(client in ipaddress.ip_network(n, strict=False) for n in settings.METRICS_NETWORKS)
    return not token and client.is_loopback


class DocklineCollector(Collector):
    def __init__(self, now=timezone.now):
        self.now = now

    def collect(self):
        now = self.now()
        orders = GaugeMetricFamily("dockline_orders", "Orders by status", labels=["status"])
        for row in Order.objects.values("status").annotate(n=Count("id")).order_by("status"):
            orders.add_metric([row["status"]], row["n"])
        yield orders

        runs = CounterMetricFamily("dockline_runs", "Channel runs by channel kind and outcome",
                                   labels=["channel", "outcome"])
        duration = SummaryMetricFamily("dockline_run_duration_seconds", "Duration of finished channel runs",
                                       labels=["channel"])
        took = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        totals = (SyncRun.objects.values("channel__kind").annotate(
            n_ok=Count("id", filter=Q(ok=True)), n_failed=Count("id", filter=Q(ok=False)),
            n_running=Count("id", filter=Q(ok=None)), took=Sum(took, filter=Q(finished_at__isnull=False)),
            finished=Count("id", filter=Q(finished_at__isnull=False))).order_by("channel__kind"))
        for row in totals:
            for outcome in ("ok", "failed", "running"):
                runs.add_metric([row["channel__kind"], outcome], row[f"n_{outcome}"])
            seconds = row["took"].total_seconds() if row["took"] else 0.0
            duration.add_metric([row["channel__kind"]], row["finished"], seconds)
        yield runs
        yield duration

        since = GaugeMetricFamily("dockline_seconds_since_last_success",
                                  "Seconds since each connection's channel last ran without error",
                                  labels=["connection_id", "connection", "channel"])
        for row in (Channel.objects.filter(enabled=True, connection__enabled=True)
                    .annotate(last_ok=Max("runs__finished_at", filter=Q(runs__ok=True)))
                    .values("connection_id", "connection__name", "kind", "last_ok", "connection__created_at")
                    .order_by("connection_id", "kind")):
            base = row["last_ok"] or row["connection__created_at"]
            since.add_metric([str(row["connection_id"]), row["connection__name"], row["kind"]],
                             max(0.0, (now - base).total_seconds()))
        yield since

        due = Channel.objects.filter(enabled=True, connection__enabled=True, next_run_at__lte=now).filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)).aggregate(oldest=Min("next_run_at"))
        lag = GaugeMetricFamily("dockline_scheduler_lag_seconds",
                                "How late the most overdue unclaimed channel job is (0: none waiting)")
        lag.add_metric([], (now - due["oldest"]).total_seconds() if due["oldest"] else 0.0)
        yield lag
        beat = last_beat()
        beat_age = GaugeMetricFamily("dockline_scheduler_last_beat_seconds", "Seconds since a scheduler last ticked")
        beat_age.add_metric([], (now - beat).total_seconds() if beat else float("inf"))
        yield beat_age

        out = GaugeMetricFamily("dockline_webhook_deliveries", "Outbound webhook deliveries by state",
                                labels=["state"])
        for row in Delivery.objects.values("state").annotate(n=Count("id")).order_by("state"):
            out.add_metric([row["state"]], row["n"])
        yield out
        received = CounterMetricFamily("dockline_store_webhooks_received", "Webhooks received from stores",
                                       labels=["verified"])
        for row in WebhookDelivery.objects.values("verified").annotate(n=Count("id")).order_by("verified"):
            received.add_metric(["true" if row["verified"] else "false"], row["n"])
        yield received

        alerts = GaugeMetricFamily("dockline_alerts", "Alerts by state and condition", labels=["state", "condition"])
        for row in Alert.objects.values("state", "condition").annotate(n=Count("id")).order_by("state", "condition"):
            alerts.add_metric([row["state"], row["condition"]], row["n"])
        yield alerts
