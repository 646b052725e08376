"""The rules pages: invalid CEL refused with where the error is, new rules off, the Test trace changing
nothing, other organizations' rules unseen, held and abandoned orders listed with what a person can do."""
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.orders.status import OrderStatus as S
from dockline.rules.holds import hold
from dockline.rules.models import Rule
from dockline.rules.services import save_rule


def _post_rule(client, merchant, **fields):
    data = {"merchant": merchant.pk, "connection": "", "name": "Big orders", "hook": "import",
            "conditions": "order.total > 100.0", "actions": "add_tag: big", **fields}
    return client.post(reverse("rule_new"), data)


def test_an_invalid_expression_is_refused_with_its_line_and_column(client, make_connection, login_as):
    conn = make_connection()
    login_as("admin")
    response = _post_rule(client, conn.merchant, conditions='order.total > 100.0\norder.skus.exists(s, s == "A"')
    assert response.status_code == 200 and not Rule.objects.exists()
    body = response.content.decode()
    assert "Condition 2" in body and "line 1, column 27: this is not valid CEL" in body


def test_an_unknown_action_or_bad_argument_is_refused(client, make_connection, login_as):
    conn = make_connection()
    login_as("admin")
    body = _post_rule(client, conn.merchant, actions="ship_by_pigeon: yes\nhold: next tuesday").content.decode()
    assert "there is no action &#x27;ship_by_pigeon&#x27;" in body and "Action 2 (hold): write a duration" in body
    assert not Rule.objects.exists()


def test_a_new_rule_starts_inactive_even_when_asked_to_start_on(client, make_connection, login_as):
    conn = make_connection()
    login_as("admin")
    response = _post_rule(client, conn.merchant, active="on")
    rule = Rule.objects.get()
    assert response.status_code == 302 and rule.active is False
    client.post(reverse("rule_switch", args=[rule.pk]), {"active": "1"})
    rule.refresh_from_db()
    assert rule.active is True


def test_the_test_trace_shows_each_condition_and_the_actions_and_changes_nothing(client, make_connection,
                                                                                 make_order, login_as):
    conn = make_connection()
    order = make_order(conn, "1001", skus=("GIFT-WRAP", "MUG"))
    rule = save_rule(Rule(merchant=conn.merchant, name="Wrapped", hook="import",
                          conditions='"GIFT-WRAP" in order.skus\norder.units > 5\norder.nope == 1',
                          actions="add_item: CARD 1 Card\nhold: review"))
    login_as("admin")
    before = (order.status, list(order.lines.values_list("sku", flat=True)), order.activity.count())

    body = client.get(reverse("rule_test", args=[rule.pk]), {"order": "1001"}).content.decode()

    trace = body[body.index('id="trace"'):]
    assert trace.index("true") < trace.index("false") < trace.index("cannot be evaluated")
    assert "no such member" in trace and "The rule would not act" in trace
    assert "add 1 × CARD (Card)" in trace and "until a person releases it" in trace
    assert "The rule is inactive" in trace
    order.refresh_from_db()
    assert (order.status, list(order.lines.values_list("sku", flat=True)), order.activity.count()) == before


def test_another_organizations_rule_answers_404(client, make_connection, login_as):
    other_org = Organization.objects.create(name="Elsewhere")
    other = Merchant.objects.create(organization=other_org, name="Theirs")
    rule = save_rule(Rule(merchant=other, name="Secret", actions="accept"))
    make_connection()
    login_as("admin")
    assert client.get(reverse("rule_test", args=[rule.pk])).status_code == 404
    assert client.post(reverse("rule_switch", args=[rule.pk]), {"active": "1"}).status_code == 404
    assert "Secret" not in client.get(reverse("rules")).content.decode()


def test_held_orders_show_when_they_release_and_a_person_releases_one(client, make_connection, make_order,
                                                                      login_as):
    from dockline.core.activity import SYSTEM

    conn = make_connection()
    order = make_order(conn, "2001")
    until = timezone.now() + timedelta(minutes=10)
    hold(order, until=until, reason="the edit window", actor=SYSTEM, now=timezone.now())
    login_as("admin")
    body = client.get(reverse("held")).content.decode()
    assert "#2001" in body and f"{until:%b} {until.day}, {until:%H:%M}" in body

    client.post(reverse("hold_decide", args=[order.pk]), {"decision": "release"})
    order.refresh_from_db()
    assert order.status == S.NEW and order.activity.last().actor == "user-admin"


def test_the_connection_hold_settings_are_saved_and_refused_when_too_long(client, make_connection, login_as):
    conn = make_connection()
    login_as("admin")
    client.post(reverse("hold_settings", args=[conn.pk]), {"hold_minutes": "30", "abandon_after_days": "20"})
    conn.refresh_from_db()
    assert (conn.hold_minutes, conn.abandon_after_days) == (30, 20)
    client.post(reverse("hold_settings", args=[conn.pk]), {"hold_minutes": "99999", "abandon_after_days": "20"})
    conn.refresh_from_db()
    assert conn.hold_minutes == 30
