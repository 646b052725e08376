"""Forged webhook deliveries cannot fill the database: a refused one keeps its metadata and the start
of its body only, and past REFUSALS_PER_MINUTE from one address they are answered 429 and not stored."""
import json

from django.db.models import Sum
from django.db.models.functions import Length

from dockline.webhooks.models import WebhookDelivery
from dockline.webhooks.services import (
    EXCERPT_BYTES,
    REFUSALS_PER_MINUTE,
    SECRET_HEADER,
    endpoint,
)

PAYLOAD = {"producer": "stores/abc", "hash": "a" * 40, "scope": "store/order/created",
           "data": {"type": "order", "id": 250}}


def _big_forgery(n: int) -> bytes:
    """A JSON body of about 255 KB, different each time (no deduplication helps)."""
    return json.dumps({**PAYLOAD, "hash": f"{n:040d}", "padding": "x" * 255_000}).encode()


def _stored_bytes() -> int:
    """What the deliveries hold of their bodies: excerpts plus stored payloads."""
    excerpts = WebhookDelivery.objects.annotate(n=Length("excerpt")).aggregate(total=Sum("n"))["total"] or 0
    return excerpts + sum(len(json.dumps(d.payload)) for d in WebhookDelivery.objects.exclude(payload={}))


def test_two_hundred_forged_255_kb_deliveries_keep_the_database_small(connection, client):
    url, headers = endpoint(connection, "http://testserver")
    answers = []
    for n in range(200):
        response = client.post(url, data=_big_forgery(n), content_type="application/json",
                               headers={SECRET_HEADER: "forged"}, REMOTE_ADDR="203.0.113.9")
        answers.append(response.status_code)
    assert answers[:REFUSALS_PER_MINUTE] == [401] * REFUSALS_PER_MINUTE
    assert set(answers[REFUSALS_PER_MINUTE:]) == {429}
    assert response["Retry-After"] == "60"
    rejected = WebhookDelivery.objects.filter(verified=False)
    assert rejected.count() == REFUSALS_PER_MINUTE
    assert _stored_bytes() <= REFUSALS_PER_MINUTE * EXCERPT_BYTES  # 200 × 255 KB sent, about 10 KB kept
    first = rejected.order_by("received_at").first()
    assert first.rejected_reason == "wrong secret" and first.size > 255_000 and first.payload == {}
    assert first.excerpt.startswith('{"producer": "stores/abc"') and first.remote_addr == "203.0.113.9"

    # the genuine store, from the same address, still gets through
    genuine = client.post(url, data=json.dumps(PAYLOAD), content_type="application/json", headers=headers,
                          REMOTE_ADDR="203.0.113.9")
    assert genuine.status_code == 200 and genuine.json()["detail"] == "accepted"
    assert WebhookDelivery.objects.get(verified=True).payload == PAYLOAD


def test_refusals_from_one_address_do_not_lock_out_another(connection, client):
    url, _ = endpoint(connection, "http://testserver")
    for _ in range(REFUSALS_PER_MINUTE + 1):
        client.post(url, data=b"{}", content_type="application/json", REMOTE_ADDR="198.51.100.7")
    other = client.post(url, data=b"{}", content_type="application/json", REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 401
    assert WebhookDelivery.objects.filter(remote_addr="198.51.100.8", rejected_reason="no secret header").exists()


def test_upgrading_trims_rejected_deliveries_stored_whole_before(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    # every other app as it is now, the webhooks app before the trimming migration
    before = [(app, name) for app, name in executor.loader.graph.leaf_nodes() if app != "webhooks"]
    before.append(("webhooks", "0001_initial"))
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    org = old.get_model("accounts", "Organization").objects.create(name="Org")
    merchant = old.get_model("accounts", "Merchant").objects.create(organization=org, name="M")
    store = old.get_model("connections", "Store").objects.create(organization=org, merchant=merchant, name="S",
                                                                 platform="bigcommerce")
    warehouse = old.get_model("warehouses", "Warehouse").objects.create(organization=org, name="W")
    conn = old.get_model("connections", "Connection").objects.create(organization=org, name="C", merchant=merchant,
                                                                     store=store, warehouse=warehouse)
    delivery = old.get_model("webhooks", "WebhookDelivery")
    delivery.objects.create(connection=conn, payload_hash="f", verified=False, rejected_reason="wrong secret",
                            payload={"padding": "x" * 100_000})
    delivery.objects.create(connection=conn, payload_hash="g", verified=True, payload=PAYLOAD)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    forged = WebhookDelivery.objects.get(payload_hash="f")
    assert forged.payload == {} and len(forged.excerpt) == EXCERPT_BYTES and forged.size > 100_000
    assert WebhookDelivery.objects.get(payload_hash="g").payload == PAYLOAD
