"""API keys: scoping across organizations and merchants, read-only keys, revocation, last use, the key as actor."""
from tests.api.conftest import make_order

from dockline.api.keys import authenticate, revoke_key
from dockline.api.models import ApiKey
from dockline.core.activity import ActorKind
from dockline.orders.models import Activity


def test_another_organizations_connection_and_order_answer_404_not_403(tenants, key_for, call):
    token = key_for()
    foreign_order = make_order(tenants["foreign"], "F-1")
    assert call("GET", f"/connections/{tenants['foreign'].id}", token).status_code == 404
    response = call("GET", f"/orders/{foreign_order.id}", token)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    listed = {c["id"] for c in call("GET", "/connections", token).json()}
    assert listed == {tenants["acme"].id, tenants["bolt"].id, tenants["manual"].id}


def test_a_key_narrowed_to_one_merchant_sees_nothing_of_the_other(tenants, key_for, call):
    token = key_for(merchants=[tenants["bolt"].merchant])
    acme_order, bolt_order = make_order(tenants["acme"], "A-1"), make_order(tenants["bolt"], "B-1")
    assert call("GET", f"/orders/{acme_order.id}", token).status_code == 404
    assert call("GET", f"/orders/{bolt_order.id}", token).status_code == 200
    assert [o["number"] for o in call("GET", "/orders", token).json()["items"]] == ["B-1"]
    assert call("POST", f"/orders/{acme_order.id}/archive", token).status_code == 404
    assert call("GET", f"/connections/{tenants['acme'].id}/listings", token).status_code == 404


def test_a_read_only_key_is_refused_every_write_and_changes_nothing(tenants, key_for, call):
    token = key_for(writable=False)
    order = make_order(tenants["acme"], "A-1")
    response = call("POST", f"/orders/{order.id}/archive", token)
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    order.refresh_from_db()
    assert order.status == "new"
    assert call("DELETE", f"/connections/{tenants['acme'].id}/listings/1", token).status_code == 403
    assert call("GET", f"/orders/{order.id}", token).status_code == 200


def test_a_revoked_or_wrong_key_is_401_and_the_token_is_stored_only_as_a_digest(tenants, key_for, call):
    token = key_for()
    key = ApiKey.objects.get()
    assert token not in (key.digest, key.prefix) and token.startswith(key.prefix)
    assert call("GET", "/connections", token).status_code == 200
    assert ApiKey.objects.get().last_used_at is not None
    assert call("GET", "/connections", token[:-1] + ("A" if token[-1] != "A" else "B")).status_code == 401
    revoke_key(key)
    response = call("GET", "/connections", token)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert authenticate(token) is None


def test_an_action_by_the_api_names_the_key_in_the_orders_activity(tenants, key_for, call):
    token = key_for()
    order = make_order(tenants["acme"], "A-1", status="error")
    assert call("POST", f"/orders/{order.id}/archive", token).json()["status"] == "archived"
    entry = Activity.objects.filter(order=order).last()
    assert entry.actor_kind == ActorKind.API_KEY and ApiKey.objects.get().prefix in entry.actor


def test_a_refused_action_is_a_409_problem_in_plain_words(tenants, key_for, call):
    order = make_order(tenants["acme"], "A-1", status="closed")
    response = call("POST", f"/orders/{order.id}/reset", key_for())
    assert response.status_code == 409
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"} and "cannot" not in body["type"]
    assert "only" in body["detail"]


def test_past_the_rate_limit_a_key_gets_429_with_retry_after(tenants, key_for, call, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    settings.RATE_LIMIT_STORAGE = "memory://"
    token = key_for()
    answers = [call("GET", "/connections", token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0]["RateLimit-Limit"] == "3" and answers[2]["RateLimit-Remaining"] == "0"
    assert int(answers[3]["Retry-After"]) >= 1
    assert call("GET", "/connections", key_for()).status_code == 200  # another key has its own count


def test_enable_and_disable_through_the_api_switch_the_connection_as_the_dashboard_does(tenants, key_for, call):
    token, conn = key_for(), tenants["manual"]
    enabled = call("POST", f"/connections/{conn.id}/enable", token)
    assert enabled.status_code == 200 and enabled.json()["connection"]["enabled"] is True
    assert call("POST", f"/connections/{conn.id}/sync", token, {"channel": "orders"}).json() == {"channels": 1}
    assert call("POST", f"/connections/{conn.id}/disable", token).json()["connection"]["enabled"] is False
    conn.refresh_from_db()
    assert not conn.enabled
    refused = call("POST", f"/connections/{conn.id}/sync", token, {"channel": "orders"})
    assert refused.status_code == 409 and "disabled" in refused.json()["detail"]


def test_while_the_shared_redis_does_not_answer_the_api_keeps_answering_and_still_limits_each_key(
        tenants, key_for, call, settings, closed_port):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    settings.RATE_LIMIT_STORAGE = f"redis://127.0.0.1:{closed_port}/0"
    token = key_for()
    answers = [call("GET", "/connections", token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]  # counted in this process meanwhile
    assert answers[1]["RateLimit-Remaining"] == "0" and int(answers[2]["Retry-After"]) >= 1
