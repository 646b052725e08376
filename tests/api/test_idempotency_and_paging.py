"""Idempotent retries of POSTs, and keyset paging that neither skips nor repeats while orders arrive."""
from datetime import timedelta

from django.test import RequestFactory
from django.utils import timezone
from tests.api.conftest import ORDER, make_order

from dockline.api.idempotency import fingerprint
from dockline.api.models import ApiKey, IdempotentRequest
from dockline.orders.models import Activity, Order


def test_a_retried_create_with_the_same_key_returns_the_first_answer_and_stores_one_order(tenants, key_for, call):
    token = key_for()
    body = {**ORDER, "connection": tenants["manual"].id}
    first = call("POST", "/orders", token, body, idempotency_key="create-M-1001")
    again = call("POST", "/orders", token, body, idempotency_key="create-M-1001")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Order.objects.filter(number="M-1001").count() == 1


def test_a_retried_action_is_done_once(tenants, key_for, call):
    token = key_for()
    order = make_order(tenants["acme"], "A-1", status="error")
    for _ in range(3):
        assert call("POST", f"/orders/{order.id}/reset", token, idempotency_key="reset-1").status_code == 200
    assert Activity.objects.filter(order=order, event="reset").count() == 1


def test_the_same_key_on_a_different_body_is_refused_with_422(tenants, key_for, call):
    token = key_for()
    body = {**ORDER, "connection": tenants["manual"].id}
    assert call("POST", "/orders", token, body, idempotency_key="k").status_code == 201
    other = call("POST", "/orders", token, {**body, "number": "M-2"}, idempotency_key="k")
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert not Order.objects.filter(number="M-2").exists()


def test_idempotency_keys_belong_to_their_api_key(tenants, key_for, call):
    body = {**ORDER, "connection": tenants["manual"].id}
    assert call("POST", "/orders", key_for(), body, idempotency_key="k").status_code == 201
    second = call("POST", "/orders", key_for(), body, idempotency_key="k")
    assert second.status_code == 409 and "already" in second.json()["detail"]  # ran, and met the stored order


def test_a_retry_while_the_first_request_still_runs_is_told_to_wait_and_runs_nothing(tenants, key_for, call):
    token = key_for()
    order = make_order(tenants["acme"], "A-1", status="error")
    path = f"/api/v1/orders/{order.id}/reset"
    IdempotentRequest.objects.create(api_key=ApiKey.objects.get(), key="busy", status=None,
                                     fingerprint=fingerprint(RequestFactory().post(path)))  # as the client sends it
    response = call("POST", f"/orders/{order.id}/reset", token, idempotency_key="busy")
    assert response.status_code == 409 and response["Retry-After"] == "1"
    order.refresh_from_db()
    assert order.status == "error"


def test_cursor_paging_with_orders_arriving_between_pages_skips_and_repeats_nothing(tenants, key_for, call):
    token = key_for()
    start = timezone.now() - timedelta(days=1)
    same_time = start + timedelta(hours=1)
    for n in range(7):  # three share one placed_at: the id breaks the tie
        make_order(tenants["acme"], f"A-{n}", placed_at=same_time if n < 3 else start + timedelta(hours=n))
    seen, cursor = [], None
    while True:
        page = call("GET", "/orders?limit=2" + (f"&cursor={cursor}" if cursor else ""), token).json()
        seen += [o["number"] for o in page["items"]]
        make_order(tenants["acme"], f"NEW-{len(seen)}")  # newer than everything: before the cursor
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(f"A-{n}" for n in range(7))
    assert len(seen) == len(set(seen))


def test_a_cursor_not_made_by_the_api_is_a_400_problem(tenants, key_for, call):
    response = call("GET", "/orders?cursor=not-a-cursor", key_for())
    assert response.status_code == 400 and response.json()["type"].endswith("bad-cursor")
