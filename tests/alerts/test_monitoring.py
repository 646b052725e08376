"""/healthz and /metrics as a load balancer and Prometheus see them."""
import json
import logging
from datetime import timedelta

from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dockline.alerts.models import Alert, AlertPolicy
from dockline.core.logs import JsonFormatter
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.sync import periodic
from dockline.sync.models import SyncRun


def samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_healthz_answers_503_until_a_scheduler_ticks_and_again_once_it_stops(client, db, settings):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["error"] == "no scheduler has ever ticked"
    assert response.json()["checks"]["database"] == {"ok": True}
    periodic.beat("host:1:abc")
    assert client.get("/healthz").status_code == 200
    periodic.beat("host:1:abc", timezone.now() - timedelta(seconds=settings.SCHEDULER_STALE_SECONDS + 5))
    body = client.get("/healthz").json()
    assert body["status"] == "unhealthy" and "last ticked" in body["checks"]["scheduler"]["error"]


def test_healthz_says_when_the_broker_cannot_be_reached(client, db, settings):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    settings.BROKER_URL = f"redis://127.0.0.1:{port}/0"
    periodic.beat("host:1:abc")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["broker"]["ok"] is False


def test_metrics_are_parsed_by_the_prometheus_parser_and_refused_without_the_token(client, connection, settings):
    now = timezone.now()
    Order.objects.create(connection=connection, store=connection.store, external_id="1", number="1",
                         status=OrderStatus.ERROR, placed_at=now, store_modified_at=now)
    channel = connection.channels.get(kind="orders")
    SyncRun.objects.create(channel=channel, started_at=now - timedelta(seconds=4), finished_at=now, ok=True)
    SyncRun.objects.create(channel=channel, started_at=now - timedelta(seconds=2), finished_at=now, ok=False)
    policy = AlertPolicy.objects.create(organization=connection.organization, name="p", conditions=[])
    Alert.objects.create(policy=policy, organization=connection.organization, condition="reauth", cause="c",
                         title="t")
    settings.METRICS_TOKEN = "metrics-secret"
    assert client.get("/metrics").status_code == 403
    response = client.get("/metrics", headers={"Authorization": "Bearer metrics-secret"})
    assert response.status_code == 200
    found = samples(response.content.decode())
    assert found[("dockline_orders", (("status", "error"),))] == 1
    assert found[("dockline_runs_total", (("channel", "orders"), ("outcome", "failed")))] == 1
    assert found[("dockline_run_duration_seconds_count", (("channel", "orders"),))] == 2
    assert 5.9 < found[("dockline_run_duration_seconds_sum", (("channel", "orders"),))] < 6.1
    assert found[("dockline_alerts", (("condition", "reauth"), ("state", "open")))] == 1
    assert found[("dockline_seconds_since_last_success", (("channel", "orders"), ("connection", "Acme connection"),
                                                         ("connection_id", str(connection.id))))] < 60
    assert ("dockline_scheduler_lag_seconds", ()) in found


def test_metrics_from_an_allowed_network_need_no_token(client, db, settings):
    settings.METRICS_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403


def test_json_logs_carry_one_event_per_line_with_connection_and_order_ids():
    record = logging.LogRecord("dockline.alerts", logging.WARNING, __file__, 1, "Alert opened: %s", ("x",), None)
    record.connection_id, record.order_id = 7, 42
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) | {"at": None} == {"at": None, "level": "warning", "logger": "dockline.alerts",
                                                "message": "Alert opened: x", "connection_id": 7, "order_id": 42}
