"""The Add Connection wizard offers eBay with exactly its fields, keeps its secrets out of the page,
and its Test Connection runs against the sandbox."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from dockline.accounts.models import Membership, Organization, Role
from dockline.sandbox.ebay import EbaySandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    org = Organization.objects.create(name="Riverside Fulfillment")
    user = get_user_model().objects.create_user("admin-ebay", password="pw-long-enough-1")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    client.force_login(user)
    client.post("/connections/new/basic/", {"name": "Acme → Riverside", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme", "go": "next"})
    client.post("/connections/new/warehouse/", {
        "name": "Riverside 3PL", "transport": "ftp", "format": "dsfx", "t_ftp__host": "127.0.0.1", "t_ftp__port": "1",
        "t_ftp__username": "wms", "t_ftp__password": "pw", "folder_inbox": "/in", "folder_outbox": "/out",
        "folder_archive": "", "folder_error": "", "go": "next"})
    return user


def _fields(page: str, prefix: str) -> set[str]:
    return set(re.findall(rf'name="({prefix}[a-z_]+)"', page))


def test_the_store_step_offers_ebay_with_exactly_its_credentials_and_settings(client, admin):
    page = client.get("/connections/new/store/").content.decode()
    assert 'value="ebay"' in page and "eBay" in page
    assert _fields(page, "p_ebay__") == {"p_ebay__client_id", "p_ebay__client_secret", "p_ebay__ru_name",
                                         "p_ebay__refresh_token", "p_ebay__refresh_token_expires"}
    assert _fields(page, "s_ebay__") == {"s_ebay__marketplace_id", "s_ebay__api_base", "s_ebay__auth_base"}
    for secret in ("client_secret", "refresh_token"):
        assert re.search(rf'type="password"[^>]*name="p_ebay__{secret}"|name="p_ebay__{secret}"[^>]*type="password"',
                         page), secret


def test_test_connection_in_the_wizard_checks_token_scopes_and_marketplace(client, admin):
    with EbaySandbox() as sb:
        form = {"name": "Acme on eBay", "platform": "ebay",
                **{f"p_ebay__{k}": v for k, v in sb.credentials.items()},
                **{f"s_ebay__{k}": v for k, v in sb.settings.items()}}
        page = client.post("/connections/new/test-store/", form).content.decode()
        assert "Connection works" in page and "Scopes" in page and "Marketplace" in page
        assert sb.refresh_token not in page and sb.store.client_secret not in page


def test_a_store_saved_without_a_refresh_token_says_how_to_get_one(client, admin):
    with EbaySandbox() as sb:
        form = {"name": "Acme on eBay", "platform": "ebay", "p_ebay__client_id": sb.store.client_id,
                "p_ebay__client_secret": sb.store.client_secret, "p_ebay__ru_name": "Dockline-RuName",
                **{f"s_ebay__{k}": v for k, v in sb.settings.items()}}
        page = client.post("/connections/new/test-store/", form).content.decode()
    assert "Connection failed" in page and "No eBay refresh token yet" in page and "/ebay/consent/" in page
