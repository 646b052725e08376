"""The merchant's consent on eBay's page: Dockline starts it with a one-time state, exchanges the code eBay
sends back, and keeps the refresh token and its end with the store's encrypted credentials."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Store
from dockline.platforms.ebay.client import SCOPES
from dockline.sandbox.ebay import EbaySandbox

pytestmark = pytest.mark.django_db
RU_NAME = "Dockline-Dockline-Sandbo-qwxyz"


@pytest.fixture
def setup(client):
    with EbaySandbox() as sb:
        sb.store.ru_names[RU_NAME] = "http://testserver/ebay/auth/"
        org = Organization.objects.create(name="Riverside Fulfillment")
        merchant = Merchant.objects.create(organization=org, name="Acme")
        store = Store.objects.create(organization=org, merchant=merchant, name="Acme on eBay", platform="ebay",
                                     credentials={"client_id": sb.store.client_id,
                                                  "client_secret": sb.store.client_secret, "ru_name": RU_NAME},
                                     settings=sb.settings)
        user = get_user_model().objects.create_user("admin-ebay", password="pw-long-enough-1")
        Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
        client.force_login(user)
        yield sb, store


def _consent(client, store) -> str:
    """Start the consent in Dockline and agree on the sandbox's page; returns Dockline's callback address."""
    started = client.get(f"/ebay/consent/{store.pk}/")
    assert started.status_code == 302
    query = parse_qs(urlsplit(started["Location"]).query)
    assert query["redirect_uri"] == [RU_NAME] and query["response_type"] == ["code"] and query["state"][0]
    assert set(query["scope"][0].split()) == set(SCOPES)
    back = httpx.get(started["Location"], follow_redirects=False).headers["Location"]
    parts = urlsplit(back)
    return f"{parts.path}?{parts.query}"


def test_a_consent_stores_the_refresh_token_and_its_end_and_the_connection_works(client, setup):
    sb, store = setup
    page = client.get(_consent(client, store))
    assert page.status_code == 200 and b"Ready to use." in page.content
    store.refresh_from_db()
    token = store.credentials["refresh_token"]
    assert token in sb.store.refresh_tokens and token.encode() not in page.content
    ends = datetime.fromisoformat(store.credentials["refresh_token_expires"]).date()
    assert ends == (datetime.now(UTC) + timedelta(seconds=47_304_000)).date()


def test_a_callback_is_taken_once_and_only_for_a_consent_this_session_started(client, setup):
    _, store = setup
    callback = _consent(client, store)
    assert client.get(callback).status_code == 200
    again = client.get(callback)
    assert again.status_code == 400 and b"start it again" in again.content
    assert client.get("/ebay/auth/?state=forged&code=x").status_code == 400


def test_a_declined_consent_leaves_the_store_without_a_token_and_says_so(client, setup):
    _, store = setup
    started = client.get(f"/ebay/consent/{store.pk}/")
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    page = client.get(f"/ebay/auth/?state={state}")
    assert page.status_code == 400 and b"declined" in page.content
    store.refresh_from_db()
    assert "refresh_token" not in store.credentials


def test_another_organizations_store_cannot_be_consented_for(client, setup):
    _, store = setup
    other = Organization.objects.create(name="Elsewhere")
    theirs = Store.objects.create(organization=other, merchant=Merchant.objects.create(organization=other, name="B"),
                                  name="B on eBay", platform="ebay", credentials=store.credentials)
    assert client.get(f"/ebay/consent/{theirs.pk}/").status_code == 404
