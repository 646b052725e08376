"""Cancel, hold and release orders, and acknowledge alerts, through the API: the dashboard's own actions."""
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.utils import timezone
from tests.api.conftest import make_order

from dockline.accounts.models import Membership
from dockline.alerts.models import Alert, AlertPolicy
from dockline.alerts.status import Condition
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus as S
from dockline.rules.models import Hold
from dockline.shipments.models import Package, Shipment


def test_cancel_through_the_api_cancels_an_unsent_order_and_asks_the_warehouse_for_a_sent_one(tenants, key_for, call):
    token = key_for()
    unsent, sent = make_order(tenants["acme"], "1001"), make_order(tenants["acme"], "1002", status="open")
    first = call("POST", f"/orders/{unsent.id}/cancel", token)
    assert first.status_code == 200 and first.json()["status"] == S.CANCELED
    second = call("POST", f"/orders/{sent.id}/cancel", token)
    assert second.status_code == 200 and second.json()["status"] == S.CANCEL_REQUESTED
    assert sent.activity.last().actor_kind == "api_key"
    again = call("POST", f"/orders/{sent.id}/cancel", token)
    assert again.status_code == 409 and "already being cancelled" in again.json()["detail"]


def test_a_retried_cancel_with_the_same_idempotency_key_answers_the_same_and_cancels_once(tenants, key_for, call):
    token = key_for()
    order = make_order(tenants["acme"], "1001", status="open")
    first = call("POST", f"/orders/{order.id}/cancel", token, **{"Idempotency-Key": "cancel-1001"})
    retry = call("POST", f"/orders/{order.id}/cancel", token, **{"Idempotency-Key": "cancel-1001"})
    assert first.status_code == retry.status_code == 200 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json() and order.activity.filter(message__startswith="Cancel requested").count() == 1


def test_an_order_held_through_the_api_waits_until_released_then_goes_back_to_new(tenants, key_for, call):
    token = key_for()
    order = make_order(tenants["acme"], "1001")
    held = call("POST", f"/orders/{order.id}/hold", token, {"duration": "2h"})
    assert held.status_code == 200 and held.json()["status"] == S.PENDING
    hold = Hold.objects.get(order=order)
    assert timedelta(minutes=119) < hold.until - timezone.now() <= timedelta(hours=2)
    assert "API key test key" in order.activity.last().message
    twice = call("POST", f"/orders/{order.id}/hold", token, {})
    assert twice.status_code == 409 and "can be held" in twice.json()["detail"]
    released = call("POST", f"/orders/{order.id}/release", token)
    assert released.status_code == 200 and released.json()["status"] == S.NEW
    hold.refresh_from_db()
    assert hold.released_by.startswith("API key test key")
    assert call("POST", f"/orders/{order.id}/release", token).status_code == 409


def test_a_hold_for_review_has_no_end_and_a_hold_until_a_past_time_is_refused(tenants, key_for, call):
    token = key_for()
    review, late = make_order(tenants["acme"], "1001"), make_order(tenants["acme"], "1002")
    assert call("POST", f"/orders/{review.id}/hold", token, {}).json()["status"] == S.PENDING
    assert Hold.objects.get(order=review).until is None
    other = make_order(tenants["acme"], "1003")
    call("POST", f"/orders/{other.id}/hold", token, {"until": "2099-01-01T11:00:00+02:00"})
    assert "until 2099-01-01 09:00 UTC" in other.activity.last().message
    past = call("POST", f"/orders/{late.id}/hold", token, {"until": "2020-01-01T09:00:00Z"})
    assert past.status_code == 409 and "has passed" in past.json()["detail"]
    both = call("POST", f"/orders/{late.id}/hold", token, {"duration": "2h", "until": "2099-01-01T09:00:00Z"})
    bad = call("POST", f"/orders/{late.id}/hold", token, {"duration": "soon"})
    assert both.status_code == bad.status_code == 422
    assert Order.objects.get(pk=late.pk).status == S.NEW


def test_a_read_only_key_is_refused_cancel_hold_release_and_acknowledge(tenants, key_for, call):
    token = key_for(writable=False)
    order = make_order(tenants["acme"], "1001")
    alert = _alert(tenants)
    for path, body in ((f"/orders/{order.id}/cancel", None), (f"/orders/{order.id}/hold", {}),
                       (f"/orders/{order.id}/release", None), (f"/alerts/{alert.id}/acknowledge", {"note": "on it"})):
        response = call("POST", path, token, body)
        assert response.status_code == 403, path
    assert Order.objects.get(pk=order.pk).status == S.NEW and Alert.objects.get(pk=alert.pk).state == "open"


def _alert(tenants, connection=None, **fields) -> Alert:
    org = tenants["org"]
    policy, _ = AlertPolicy.objects.get_or_create(organization=org, name="Ops")
    conn = connection or tenants["acme"]
    return Alert.objects.create(policy=policy, organization=org, connection=conn, condition=Condition.ORDERS_IN_ERROR,
                                cause=f"orders_in_error:{conn.id}:{fields.get('title', '')}",
                                title=fields.pop("title", "2 orders stopped in Error"), **fields)


def test_alerts_are_listed_by_state_and_acknowledged_with_a_note_naming_the_key(tenants, key_for, call):
    token = key_for()
    open_one = _alert(tenants)
    _alert(tenants, tenants["bolt"], title="Closed one", state="closed", closed_at=datetime(2026, 1, 1, tzinfo=UTC))
    listed = call("GET", "/alerts?state=open", token).json()["items"]
    assert [a["id"] for a in listed] == [open_one.id]
    assert len(call("GET", "/alerts", token).json()["items"]) == 2
    done = call("POST", f"/alerts/{open_one.id}/acknowledge", token, {"note": "Mapping the new SKUs"})
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"
    assert done.json()["note"].startswith("Mapping the new SKUs (API key test key")
    assert call("GET", f"/alerts/{open_one.id}", token).json()["acknowledged_at"]
    blank = call("POST", f"/alerts/{open_one.id}/acknowledge", token, {"note": "   "})
    assert blank.status_code == 422


def test_a_key_narrowed_to_one_merchant_sees_only_its_alerts_and_another_organization_none(tenants, key_for, call):
    acme_alert, bolt_alert = _alert(tenants), _alert(tenants, tenants["bolt"], title="Bolt")
    narrowed = key_for(merchants=[tenants["acme"].merchant])
    assert [a["id"] for a in call("GET", "/alerts", narrowed).json()["items"]] == [acme_alert.id]
    assert call("GET", f"/alerts/{bolt_alert.id}", narrowed).status_code == 404
    stranger = key_for(org=tenants["other_org"])
    assert call("POST", f"/alerts/{acme_alert.id}/acknowledge", stranger, {"note": "mine?"}).status_code == 404


def test_the_api_order_search_finds_what_the_dashboard_search_finds(tenants, key_for, call, client):
    token = key_for()
    by_email, by_tracking, other = (make_order(tenants["acme"], n) for n in ("1001", "1002", "1003"))
    Order.objects.filter(pk=by_email.pk).update(customer_email="Ada@Example.com", customer_name="Ada Lovelace")
    shipment = Shipment.objects.create(order=by_tracking, warehouse=tenants["acme"].warehouse,
                                       warehouse_shipment_id="WH-1", shipped_at=timezone.now())
    Package.objects.create(shipment=shipment, tracking_number="1Z999")
    admin = get_user_model().objects.create_user("admin", password="x")
    Membership.objects.create(user=admin, organization=tenants["org"], role="admin")
    client.force_login(admin)
    for q, expected in (("ada@example.com", by_email), ("ada", by_email), ("1Z999", by_tracking), ("#1003", other)):
        found = [o["number"] for o in call("GET", f"/orders?q={quote(q)}", token).json()["items"]]
        page = client.get(f"/orders/?q={quote(q)}").content.decode()
        shown = {o.number for o in (by_email, by_tracking, other) if f">#{o.number}<" in page}
        assert found == [expected.number] and shown == {expected.number}, q


def test_held_and_abandoned_lists_show_the_pages_orders_of_this_key_only(tenants, key_for, call):
    token = key_for(merchants=[tenants["acme"].merchant])
    mine, theirs = make_order(tenants["acme"], "1001"), make_order(tenants["bolt"], "2001")
    for order in (mine, theirs):
        call("POST", f"/orders/{order.id}/hold", key_for(), {"duration": "3d"})
    make_order(tenants["acme"], "1002", status="abandoned")
    make_order(tenants["bolt"], "2002", status="abandoned")
    [held] = call("GET", "/orders/held", token).json()
    assert held["order"]["number"] == "1001" and held["until"] and held["reason"].startswith("API key")
    assert [a["order"]["number"] for a in call("GET", "/orders/abandoned", token).json()] == ["1002"]
