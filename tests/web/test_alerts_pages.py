"""The alerts pages: tabs, acknowledging with a note, the header badge, and who sees what."""
import re

from django.utils import timezone

from dockline.accounts.models import Merchant, Organization, Role
from dockline.alerts import events
from dockline.alerts.models import Alert, AlertPolicy, Delivery, Endpoint
from dockline.alerts.status import AlertState, Condition, DeliveryState


def alert(connection, title="Acme connection: the store needs re-authorization", **fields) -> Alert:
    policy, _ = AlertPolicy.objects.get_or_create(organization=connection.organization, name="Ops",
                                                  defaults={"conditions": [Condition.REAUTH]})
    return Alert.objects.create(policy=policy, organization=connection.organization, connection=connection,
                                condition=Condition.REAUTH, cause=f"reauth:{title}", title=title,
                                todo="Enter working credentials.", **fields)


def badge(page: str) -> str:
    found = re.search(r'id="alerts-badge".*?</a>', page, re.S)
    return found.group(0) if found else ""


def test_an_acknowledged_alert_moves_to_its_tab_with_the_note_and_leaves_the_badge(client, login_as,
                                                                                  make_connection):
    login_as(Role.ADMIN)
    a = alert(make_connection())
    page = client.get("/alerts/").content.decode()
    assert a.title in page and 'aria-label="1 open"' in badge(page)
    response = client.post(f"/alerts/{a.pk}/acknowledge/", {"note": "Calling Acme about the token"}, follow=True)
    page = response.content.decode()
    assert "Calling Acme about the token" in page and 'class="on" aria-current="page" id="tab-acknowledged"' in page
    assert Alert.objects.get().state == AlertState.ACKNOWLEDGED
    assert "open" not in badge(client.get("/alerts/").content.decode())  # no count once nothing is open


def test_acknowledging_without_a_note_is_refused_in_plain_words(client, login_as, make_connection):
    login_as(Role.ADMIN)
    a = alert(make_connection())
    page = client.post(f"/alerts/{a.pk}/acknowledge/", {"note": "  "}, follow=True).content.decode()
    assert "Write a note saying what you are doing about it" in page
    assert Alert.objects.get().state == AlertState.OPEN


def test_staff_see_only_alerts_of_their_merchants_and_another_organization_gets_404(client, login_as, org,
                                                                                   make_connection):
    mine, theirs = make_connection("Acme"), make_connection("Globex")
    alert(mine, title="Acme problem")
    other = alert(theirs, title="Globex problem")
    login_as(Role.STAFF, merchants=[Merchant.objects.get(name="Acme")])
    page = client.get("/alerts/").content.decode()
    assert "Acme problem" in page and "Globex problem" not in page
    assert client.post(f"/alerts/{other.pk}/acknowledge/", {"note": "x"}).status_code == 404
    assert client.get("/alerts/policies/").status_code == 404  # administrators only

    stranger_org = Organization.objects.create(name="Elsewhere")
    other.organization = stranger_org
    other.save()
    assert client.post(f"/alerts/{other.pk}/acknowledge/", {"note": "x"}).status_code == 404


def test_an_admin_sets_up_a_policy_with_a_threshold_narrowed_to_one_connection(client, login_as, make_connection):
    login_as(Role.ADMIN)
    c = make_connection()
    response = client.post("/alerts/policies/new/", {
        "name": "Night shift", "enabled": "on", "conditions": [Condition.NOT_SHIPPED, Condition.REAUTH],
        "connections": [c.pk], "recipients": "night@riverside.example, boss@riverside.example", "email": "on",
        "auto_close_hours": "12", "t_not_shipped": "3"})
    assert response.status_code == 302
    policy = AlertPolicy.objects.get(name="Night shift")
    assert policy.threshold(Condition.NOT_SHIPPED) == 3 and policy.threshold(Condition.RUNS_FAILING) == 3
    assert policy.recipient_list() == ["night@riverside.example", "boss@riverside.example"]
    assert list(policy.watched_connections()) == []  # connection not enabled yet
    bad = client.post("/alerts/policies/new/", {"name": "x", "conditions": [Condition.REAUTH], "recipients": "nope",
                                                "auto_close_hours": "24"})
    assert "Enter a valid email address" in bad.content.decode()


def test_a_new_endpoint_shows_its_secret_once_and_a_failed_delivery_can_be_redelivered(client, login_as, org):
    login_as(Role.ADMIN)
    response = client.post("/alerts/endpoints/", {"name": "Ops", "url": "https://hooks.example.com/d",
                                                  "format": "json", "enabled": "on"}, follow=True)
    endpoint = Endpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in response.content.decode()
    assert endpoint.secret not in client.get(f"/alerts/endpoints/{endpoint.pk}/").content.decode()
    events.publish(org, events.ORDER_IMPORTED, {})
    Delivery.objects.update(state=DeliveryState.FAILED, attempts=8, last_error="Gave up")
    delivery = Delivery.objects.get()
    client.post(f"/alerts/endpoints/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    assert delivery.next_attempt_at <= timezone.now()


def test_every_alerts_page_an_admin_opens_renders_and_names_the_conditions(client, login_as, make_connection, org):
    login_as(Role.ADMIN)
    make_connection()
    endpoint = Endpoint.objects.create(organization=org, name="Ops", url="https://hooks.example.com/d",
                                       secrets={"secret": "whsec_x"})
    policy = AlertPolicy.objects.create(organization=org, name="Day shift", conditions=[Condition.REAUTH],
                                        thresholds={Condition.NOT_SHIPPED: 3})
    for path in ("/alerts/", "/alerts/?state=closed", "/alerts/policies/", "/alerts/policies/new/",
                 f"/alerts/policies/{policy.pk}/", "/alerts/endpoints/", f"/alerts/endpoints/{endpoint.pk}/"):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/alerts/policies/{policy.pk}/").content.decode()
    assert "Orders at the warehouse without a shipment (ship-by): threshold (days)" in page
    assert 'name="t_not_shipped" value="3"' in page
    assert "whsec_x" not in client.get(f"/alerts/endpoints/{endpoint.pk}/").content.decode()
