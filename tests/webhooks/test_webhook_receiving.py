"""Receiving webhooks: verified by the secret header, recorded, de-duplicated, orders channel made due."""
from datetime import timedelta

from django.utils import timezone

from dockline.webhooks.models import WebhookDelivery
from dockline.webhooks.services import SECRET_HEADER, endpoint

PAYLOAD = {
    "producer": "stores/abc", "hash": "352e4afc6dd3fc85ea26bfdf3f91852604d57528", "created_at": 1561482670,
    "store_id": "1025646", "scope": "store/order/created", "data": {"type": "order", "id": 250},
}


def _push_orders_channel_back(connection):
    later = timezone.now() + timedelta(hours=1)
    connection.channels.filter(kind="orders").update(next_run_at=later)
    return later


def _orders_next_run(connection):
    return connection.channels.get(kind="orders").next_run_at


def test_endpoint_is_stable_and_secret_is_per_connection(connection):
    url, headers = endpoint(connection, "https://dockline.example/")
    assert url == f"https://dockline.example/hooks/bigcommerce/{connection.id}/"
    assert endpoint(connection, "https://dockline.example") == (url, headers)
    assert len(headers[SECRET_HEADER]) >= 32


def test_verified_delivery_makes_orders_due_at_once(connection, post_hook):
    url, headers = endpoint(connection, "http://testserver")
    later = _push_orders_channel_back(connection)
    response = post_hook(url, PAYLOAD, headers)
    assert response.status_code == 200 and response.json()["detail"] == "accepted"
    assert _orders_next_run(connection) <= timezone.now() < later
    assert connection.channels.get(kind="shipments").next_run_at < later  # untouched by the hook


def test_webhook_delivered_twice_is_recorded_and_acted_on_once(connection, post_hook):
    url, headers = endpoint(connection, "http://testserver")
    assert post_hook(url, PAYLOAD, headers).status_code == 200
    later = _push_orders_channel_back(connection)  # the import ran
    again = post_hook(url, PAYLOAD, headers)
    assert again.status_code == 200 and again.json()["detail"] == "duplicate delivery ignored"
    assert _orders_next_run(connection) == later  # not made due a second time
    delivery = WebhookDelivery.objects.get(connection=connection, verified=True)
    assert delivery.payload_hash == PAYLOAD["hash"] and delivery.duplicates == 1
    assert delivery.topic == "store/order/created" and delivery.payload["data"]["id"] == 250


def test_payload_without_a_hash_is_deduplicated_by_its_body(connection, post_hook):
    url, headers = endpoint(connection, "http://testserver")
    payload = {k: v for k, v in PAYLOAD.items() if k != "hash"}
    post_hook(url, payload, headers)
    post_hook(url, payload, headers)
    post_hook(url, {**payload, "data": {"type": "order", "id": 251}}, headers)
    assert WebhookDelivery.objects.filter(verified=True).count() == 2


def test_forged_webhook_is_rejected_and_recorded(connection, post_hook):
    url, headers = endpoint(connection, "http://testserver")
    later = _push_orders_channel_back(connection)
    wrong = post_hook(url, PAYLOAD, {SECRET_HEADER: "guess" + headers[SECRET_HEADER][5:]})
    missing = post_hook(url, PAYLOAD)
    assert wrong.status_code == missing.status_code == 401
    assert _orders_next_run(connection) == later  # nothing runs for a forged delivery
    rejected = WebhookDelivery.objects.filter(connection=connection, verified=False).order_by("received_at")
    assert [d.rejected_reason for d in rejected] == ["wrong secret", "no secret header"]
    assert not WebhookDelivery.objects.filter(verified=True).exists()
    # a forged copy never blocks the genuine delivery of the same payload
    assert post_hook(url, PAYLOAD, headers).json()["detail"] == "accepted"


def test_unknown_endpoint_bad_body_and_wrong_method(connection, post_hook, client):
    url, headers = endpoint(connection, "http://testserver")
    assert post_hook(f"/hooks/bigcommerce/{connection.id + 99}/", PAYLOAD, headers).status_code == 404
    assert post_hook(f"/hooks/shopify/{connection.id}/", PAYLOAD, headers).status_code == 404
    bad = client.post(url, data=b"not json", content_type="application/json", headers=headers)
    assert bad.status_code == 400
    assert client.get(url).status_code == 405


def test_disabled_connection_records_but_runs_nothing(connection, post_hook):
    url, headers = endpoint(connection, "http://testserver")
    connection.enabled = False
    connection.save()
    later = _push_orders_channel_back(connection)
    assert post_hook(url, PAYLOAD, headers).status_code == 200
    assert _orders_next_run(connection) == later


def test_only_status_changes_into_the_monitored_status_make_orders_due(connection, post_hook):
    url, headers = endpoint(connection, "http://testserver")
    moved = {**PAYLOAD, "scope": "store/order/statusUpdated", "hash": "a" * 40,
             "data": {"type": "order", "id": 250, "status": {"previous_status_id": 11, "new_status_id": 9}}}
    later = _push_orders_channel_back(connection)
    assert post_hook(url, moved, headers).status_code == 200  # e.g. Dockline's own move to Awaiting Shipment
    assert _orders_next_run(connection) == later
    ready = {**moved, "hash": "b" * 40, "data": {**moved["data"], "status": {"previous_status_id": 7,
                                                                            "new_status_id": 11}}}
    assert post_hook(url, ready, headers).status_code == 200  # payment confirmed: Awaiting Fulfillment
    assert _orders_next_run(connection) <= timezone.now()
