"""Deleting a connection, a listing or a shipping rule: done by services that refuse in plain words."""
from datetime import timedelta

import pytest
from django.utils import timezone

from dockline.accounts.models import Role
from dockline.connections.models import Channel, ChannelKind, Connection
from dockline.connections.services import ActionRefused, delete_connection
from dockline.mapping.models import Listing, ShippingRule
from dockline.mapping.services import delete_listing, delete_shipping_rule, save_listing, save_shipping_rule
from dockline.orders.models import Order

pytestmark = pytest.mark.django_db


def test_deleting_a_connection_takes_its_channels_orders_and_mappings_with_it(make_connection, make_order):
    conn = make_connection()
    make_order(conn, "1001")
    save_listing(conn, "BUNDLE", [("MUG-1", 2)])
    assert delete_connection(conn) == "Acme connection"
    assert not Connection.objects.exists() and not Channel.objects.exists()
    assert not Order.objects.exists() and not Listing.objects.exists()


def test_a_connection_with_a_running_channel_is_kept_and_the_refusal_says_what_to_do(make_connection):
    conn = make_connection()
    now = timezone.now()
    Channel.objects.filter(connection=conn, kind=ChannelKind.SHIPMENTS).update(
        lease_owner="worker-1", lease_expires_at=now + timedelta(minutes=2))
    with pytest.raises(ActionRefused, match="running its shipments channel right now; disable it, wait"):
        delete_connection(conn, now=now)
    assert Connection.objects.filter(pk=conn.pk).exists()
    # A lease left behind by a worker that died has expired: it no longer blocks the deletion.
    assert delete_connection(conn, now=now + timedelta(minutes=3)) == "Acme connection"


def test_a_listing_or_rule_of_another_connection_is_refused_and_kept(make_connection):
    mine, other = make_connection("Acme"), make_connection("Globex")
    listing = save_listing(other, "SKU-9", [("W-9", 1)])
    rule = save_shipping_rule(other, "Ground", "UPS", "GND")
    with pytest.raises(ActionRefused, match="belongs to another connection"):
        delete_listing(mine, listing)
    with pytest.raises(ActionRefused, match="belongs to another connection"):
        delete_shipping_rule(mine, rule)
    assert Listing.objects.filter(pk=listing.pk).exists() and ShippingRule.objects.filter(pk=rule.pk).exists()
    assert delete_listing(other, listing) == "SKU-9" and delete_shipping_rule(other, rule) == "Ground"
    assert not Listing.objects.exists() and not ShippingRule.objects.exists()


def test_the_delete_buttons_remove_only_this_connections_mapping_and_another_ones_answers_404(
        client, make_connection, login_as):
    mine, other = make_connection("Acme"), make_connection("Globex")
    login_as(Role.STAFF, [mine.merchant, other.merchant])
    listing, foreign = save_listing(mine, "SKU-1", [("W-1", 1)]), save_listing(other, "SKU-2", [("W-2", 1)])
    rule = save_shipping_rule(mine, "Ground", "UPS", "")
    assert client.post(f"/connections/{mine.pk}/listings/{foreign.pk}/delete/").status_code == 404
    page = client.post(f"/connections/{mine.pk}/listings/{listing.pk}/delete/", follow=True).content.decode()
    assert "Listing SKU-1 deleted." in page
    page = client.post(f"/connections/{mine.pk}/shipping/{rule.pk}/delete/", follow=True).content.decode()
    assert "Shipping rule for &#x27;Ground&#x27; deleted." in page
    assert list(Listing.objects.values_list("store_sku", flat=True)) == ["SKU-2"]
    assert not ShippingRule.objects.exists()


def test_a_merchant_user_cannot_delete_mappings(client, make_connection, login_as):
    conn = make_connection()
    listing = save_listing(conn, "SKU-1", [("W-1", 1)])
    login_as(Role.MERCHANT, [conn.merchant])
    assert client.post(f"/connections/{conn.pk}/listings/{listing.pk}/delete/").status_code == 404
    assert Listing.objects.filter(pk=listing.pk).exists()
