"""The API keys page: administrators only, the token shown once, revocation takes effect."""
import re

from django.contrib.auth import get_user_model

from dockline.accounts.models import Membership
from dockline.api.models import ApiKey


def _login(client, org, role):
    user = get_user_model().objects.create_user(f"u-{role}", password="pw-long-enough-1")
    Membership.objects.create(user=user, organization=org, role=role)
    client.force_login(user)


def test_an_administrator_makes_a_key_sees_it_once_and_revokes_it(tenants, client):
    _login(client, tenants["org"], "admin")
    response = client.post("/api-keys/new/", {"name": "ERP", "writable": "on",
                                              "merchants": [tenants["bolt"].merchant_id]}, follow=True)
    token = re.search(r'id="new-token"[^>]*>([^<]+)<', response.content.decode()).group(1)
    key = ApiKey.objects.get()
    assert key.writable and not key.all_merchants and list(key.merchants.all()) == [tenants["bolt"].merchant]
    assert token not in client.get("/api-keys/").content.decode()  # never again
    ok = client.get("/api/v1/connections", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [c["id"] for c in ok.json()] == [tenants["bolt"].id]
    client.post(f"/api-keys/{key.id}/revoke/")
    assert client.get("/api/v1/connections", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_staff_cannot_see_or_make_keys(tenants, client):
    _login(client, tenants["org"], "staff")
    assert client.get("/api-keys/").status_code == 404
    assert client.post("/api-keys/new/", {"name": "x"}).status_code == 404
    assert not ApiKey.objects.exists()


def test_an_administrator_cannot_revoke_another_organizations_key(tenants, client, key_for):
    key_for(org=tenants["other_org"])
    _login(client, tenants["org"], "admin")
    assert client.post(f"/api-keys/{ApiKey.objects.get().id}/revoke/").status_code == 404
    assert ApiKey.objects.get().revoked_at is None
