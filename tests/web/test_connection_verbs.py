"""Each thing a person does to a connection has its own view and URL; roles and organizations are enforced."""
from datetime import timedelta

import pytest
from django.utils import timezone

from dockline.accounts.models import Membership, Organization, Role
from dockline.connections.models import Channel, ChannelKind, Connection, InventoryMode

pytestmark = pytest.mark.django_db


@pytest.fixture
def conn(make_connection):
    conn = make_connection()
    conn.store.settings = {"api_base": "http://127.0.0.1:1"}  # webhook removal stays on loopback (refused)
    conn.store.save()
    return conn


def test_enable_then_disable_switch_the_connection_and_say_so(client, conn, login_as):
    login_as(Role.ADMIN)
    page = client.post(f"/connections/{conn.pk}/enable/", follow=True).content.decode()
    conn.refresh_from_db()
    assert conn.enabled and "is enabled" in page
    response = client.post(f"/connections/{conn.pk}/disable/", {"back": "list"})
    conn.refresh_from_db()
    assert not conn.enabled and response["Location"] == "/connections/"


def test_sync_makes_only_the_chosen_channel_due(client, conn, login_as):
    Connection.objects.filter(pk=conn.pk).update(enabled=True)
    later = timezone.now() + timedelta(hours=1)
    Channel.objects.filter(connection=conn).update(next_run_at=later)
    login_as(Role.STAFF, [conn.merchant])
    response = client.post(f"/connections/{conn.pk}/sync/", {"kind": ChannelKind.ORDERS.value})
    assert response["Location"] == f"/connections/{conn.pk}/"
    due = set(Channel.objects.filter(connection=conn, next_run_at__lt=later).values_list("kind", flat=True))
    assert due == {ChannelKind.ORDERS}
    assert client.post(f"/connections/{conn.pk}/sync/", {"kind": "everything"}).status_code == 404


def test_sync_now_on_a_disabled_connection_says_it_will_not_run_until_enabled(client, conn, login_as):
    later = timezone.now() + timedelta(hours=1)
    Channel.objects.filter(connection=conn).update(next_run_at=later)
    login_as(Role.STAFF, [conn.merchant])
    page = client.post(f"/connections/{conn.pk}/sync/", {"kind": "orders"}, follow=True).content.decode()
    assert "is disabled: the sync of orders will not run until you enable it." in page
    assert "starts within seconds" not in page
    assert not Channel.objects.filter(connection=conn, next_run_at__lt=later).exists()


def test_delete_removes_an_enabled_connection_after_switching_it_off(client, conn, login_as):
    conn.enabled = True
    conn.save()
    login_as(Role.ADMIN)
    page = client.post(f"/connections/{conn.pk}/delete/", follow=True).content.decode()
    assert not Connection.objects.filter(pk=conn.pk).exists() and "was deleted" in page


def test_delete_is_refused_in_words_while_a_channel_is_running(client, conn, login_as):
    Channel.objects.filter(connection=conn, kind=ChannelKind.ORDERS).update(
        lease_owner="worker-1", lease_expires_at=timezone.now() + timedelta(minutes=5))
    login_as(Role.ADMIN)
    page = client.post(f"/connections/{conn.pk}/delete/", follow=True).content.decode()
    assert Connection.objects.filter(pk=conn.pk).exists()
    assert "running its orders channel right now" in page


@pytest.mark.parametrize("verb", ["enable", "disable", "sync", "delete"])
def test_a_merchant_user_cannot_use_any_verb(client, conn, login_as, verb):
    login_as(Role.MERCHANT, [conn.merchant])
    assert client.post(f"/connections/{conn.pk}/{verb}/").status_code == 404
    assert Connection.objects.filter(pk=conn.pk, enabled=False).exists()


@pytest.mark.parametrize("verb", ["enable", "disable", "sync", "delete"])
def test_another_organizations_connection_answers_404_and_get_is_not_a_verb(client, conn, login_as, verb):
    stranger = login_as(Role.ADMIN, username="stranger")
    Membership.objects.filter(user=stranger).update(organization=Organization.objects.create(name="Elsewhere"))
    assert client.post(f"/connections/{conn.pk}/{verb}/").status_code == 404
    login_as(Role.ADMIN)
    assert client.get(f"/connections/{conn.pk}/{verb}/").status_code == 405
    assert Connection.objects.filter(pk=conn.pk, enabled=False).exists()


def test_settings_save_what_is_usable_and_name_each_bad_interval(client, conn, login_as):
    login_as(Role.ADMIN)
    page = client.post(f"/connections/{conn.pk}/settings/", {
        "name": "Renamed", "inventory_mode": "nonsense", "orders_enabled": "on", "orders_every": "7", "orders_every_unit": "minutes",
        "shipments_every": "0", "shipments_every_unit": "minutes", "inventory_every": "15",
        "inventory_every_unit": "minutes"}, follow=True).content.decode()
    conn.refresh_from_db()
    channels = {ch.kind: ch for ch in conn.channels.all()}
    assert conn.name == "Renamed" and conn.inventory_mode == InventoryMode.SMART
    assert channels[ChannelKind.ORDERS].enabled and channels[ChannelKind.ORDERS].interval == timedelta(minutes=7)
    assert not channels[ChannelKind.SHIPMENTS].enabled
    assert "Shipments: the interval must be 1 minute to 7 days, not 0 minutes." in page
    assert conn.warehouse.settings["absent_means_zero"] is False
