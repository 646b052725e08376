"""X-Forwarded-* are believed from trusted proxies only; unreadable secrets answer 503 and are logged."""
import logging

import pytest

from dockline.accounts.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_https(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    settings.SECURE_HSTS_SECONDS = 3600
    Organization.objects.create(name="ACME")


def test_x_forwarded_proto_from_an_untrusted_peer_does_not_make_the_request_secure(client, behind_https):
    forged = client.get("/login/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in forged
    proxied = client.get("/login/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_PROTO="https")
    assert proxied["Strict-Transport-Security"] == "max-age=3600"


def test_a_webhook_whose_secret_cannot_be_decrypted_answers_503_and_is_logged(client, settings, caplog):
    from cryptography.fernet import Fernet

    from dockline.accounts.models import Merchant
    from dockline.connections.models import Connection, Store
    from dockline.warehouses.models import Warehouse
    from dockline.webhooks.models import WebhookEndpoint

    org = Organization.objects.create(name="ACME")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="S", platform="bigcommerce",
                                 credentials={"store_hash": "x", "access_token": "t"})
    conn = Connection.objects.create(organization=org, name="C", merchant=merchant, store=store,
                                     warehouse=Warehouse.objects.create(organization=org, name="W", credentials={}))
    WebhookEndpoint.objects.create(connection=conn, secrets={"secret": "s3cret"})
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]  # the key they were saved with is gone
    with caplog.at_level(logging.ERROR, logger="dockline"):
        response = client.post(f"/hooks/bigcommerce/{conn.pk}/", data=b"{}", content_type="application/json",
                               HTTP_X_DOCKLINE_WEBHOOK_SECRET="s3cret")
    assert response.status_code == 503
    assert "cannot be decrypted" in caplog.text and "s3cret" not in caplog.text
