"""Outbound webhooks against a real HTTP receiver on loopback that checks the signature."""
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from dockline.alerts import events
from dockline.alerts.channels import webhook
from dockline.alerts.models import Delivery, Endpoint, EndpointFormat
from dockline.alerts.status import DeliveryState


class Receiver:
    """Answers the statuses in `answers` in turn (then 200); keeps every request and the events it accepted."""

    def __init__(self, secret: str, answers: list[int]):
        self.secret, self.answers = secret, list(answers)
        self.requests, self.accepted = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                signed = webhook.verify(receiver.secret, self.headers, raw)
                receiver.requests.append((dict(self.headers), raw, signed))
                status = 401 if not signed else (receiver.answers.pop(0) if receiver.answers else 200)
                if status == 200 and self.headers["Dockline-Event-Id"] not in [e["id"] for e in receiver.accepted]:
                    receiver.accepted.append({**json.loads(raw), "id": self.headers["Dockline-Event-Id"]})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/dockline"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(secret: str, answers: list[int]) -> Receiver:
        made.append(Receiver(secret, answers))
        return made[-1]

    yield make
    for r in made:
        r.stop()


def endpoint(org, url: str, secret: str, **fields) -> Endpoint:
    return Endpoint.objects.create(organization=org, name="Ops hooks", url=url, secrets={"secret": secret}, **fields)


def test_a_signed_event_answered_500_twice_is_retried_with_backoff_and_accepted_exactly_once(org, connection,
                                                                                           receiver):
    secret = Endpoint.new_secret()
    r = receiver(secret, [500, 500])
    endpoint(org, r.url, secret)
    events.publish(org, events.SHIPMENT_POSTED, {"shipment": {"tracking_numbers": ["1Z999"]}}, connection=connection)
    now = timezone.now()
    assert webhook.deliver_due(now) == {"delivered": 0, "retrying": 1, "failed": 0}
    assert webhook.deliver_due(now + timedelta(seconds=10))["retrying"] == 0  # not due yet: 30 s backoff
    assert webhook.deliver_due(now + timedelta(seconds=31))["retrying"] == 1
    assert webhook.deliver_due(now + timedelta(seconds=61))["delivered"] == 0  # second wait is 60 s
    assert webhook.deliver_due(now + timedelta(seconds=92))["delivered"] == 1
    assert webhook.deliver_due(now + timedelta(hours=2)) == {"delivered": 0, "retrying": 0, "failed": 0}

    assert len(r.requests) == 3 and all(signed for _, _, signed in r.requests)
    assert len({h["Dockline-Event-Id"] for h, _, _ in r.requests}) == 1  # the same id on every attempt
    (event,) = r.accepted
    assert event["kind"] == "shipment.posted"
    assert event["data"]["shipment"]["tracking_numbers"] == ["1Z999"]
    assert event["data"]["connection"] == {"id": connection.id, "name": "Acme connection"}
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (DeliveryState.DELIVERED, 3, 200)


def test_a_receiver_with_another_secret_refuses_and_the_delivery_gives_up_saying_so(org, connection, receiver):
    r = receiver("not-the-secret", [])
    endpoint(org, r.url, Endpoint.new_secret())
    events.publish(org, events.ORDER_ERROR, {"error": "Map SKU BLUE-MUG."}, connection=connection)
    now = timezone.now()
    for minute in range(0, 24 * 60, 30):
        webhook.deliver_due(now + timedelta(minutes=minute))
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == webhook.MAX_ATTEMPTS
    assert "answered 401" in delivery.last_error and "Gave up after 8 attempts" in delivery.last_error
    webhook.redeliver(delivery, now + timedelta(days=1))
    assert Delivery.objects.get().state == DeliveryState.PENDING


def test_slack_and_teams_endpoints_get_their_message_format(org, connection, receiver):
    secret = Endpoint.new_secret()
    r = receiver(secret, [])
    endpoint(org, r.url, secret, format=EndpointFormat.SLACK, events=[events.ALERT_OPENED])
    Endpoint.objects.create(organization=org, name="Teams", url=r.url, secrets={"secret": secret},
                            format=EndpointFormat.TEAMS)
    events.publish(org, events.ALERT_OPENED, {"text": "Acme connection: the store needs re-authorization"})
    assert events.publish(org, events.ORDER_IMPORTED, {}) is not None  # only Teams wants it
    webhook.deliver_due(timezone.now())
    bodies = sorted((json.loads(raw) for _, raw, _ in r.requests), key=lambda b: "@type" in b)
    assert bodies[0] == {"text": "Acme connection: the store needs re-authorization"}
    assert bodies[1]["@type"] == "MessageCard" and bodies[1]["text"].startswith("Acme connection")
    assert bodies[2]["@type"] == "MessageCard" and bodies[2]["text"] == "order.imported"


def test_an_endpoint_on_the_cloud_metadata_address_is_refused_before_any_packet(org, connection):
    endpoint(org, "http://169.254.169.254/latest/meta-data/", "s")
    events.publish(org, events.ORDER_IMPORTED, {}, connection=connection)
    webhook.deliver_due(timezone.now())
    assert "metadata service" in Delivery.objects.get().last_error
