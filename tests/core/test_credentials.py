"""Secrets are encrypted at rest and never shown in full."""
import pytest
from cryptography.fernet import Fernet
from django.db import connection as db

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Store
from dockline.core import crypto


@pytest.mark.django_db
def test_credentials_are_not_stored_in_plain_text(settings):
    org = Organization.objects.create(name="O")
    m = Merchant.objects.create(organization=org, name="M")
    store = Store.objects.create(organization=org, merchant=m, name="S", platform="bigcommerce",
                                 credentials={"store_hash": "abc", "access_token": "very-secret-token-123"})
    with db.cursor() as cur:
        cur.execute("SELECT credentials FROM connections_store WHERE id = %s", [store.id])
        raw = cur.fetchone()[0]
    assert "very-secret-token-123" not in raw
    assert Store.objects.get(id=store.id).credentials["access_token"] == "very-secret-token-123"

    # Rotating keys: a new key first, the old one still reads what it wrote.
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode(), *settings.CREDENTIAL_KEYS]
    assert Store.objects.get(id=store.id).credentials["store_hash"] == "abc"
    # Without the key the store still loads (its pages work), but its secrets cannot be read.
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    unreadable = Store.objects.get(id=store.id).credentials
    assert crypto.unreadable(unreadable)
    with pytest.raises(crypto.CredentialsUnreadable, match="cannot be decrypted"):
        unreadable["access_token"]


def test_mask_never_shows_a_secret_in_full():
    assert crypto.mask("very-secret-token-123") == "••••••••-123"
    assert "short" not in crypto.mask("short")
