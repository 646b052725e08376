"""A Manual store is made in the Add Connection wizard like any platform, and its page offers the CSV upload."""
import pytest

from dockline.accounts.models import Role
from dockline.connections.models import Connection

pytestmark = pytest.mark.django_db


def test_the_wizard_makes_a_manual_connection_with_no_credentials_and_its_page_links_the_upload(client, org, login_as):
    login_as(Role.ADMIN)
    client.post("/connections/new/basic/", {"name": "Phone orders", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme Outfitters", "go": "next"})
    client.post("/connections/new/warehouse/", {
        "name": "Riverside 3PL", "transport": "ftp", "format": "dsfx", "t_ftp__host": "127.0.0.1", "t_ftp__port": "1",
        "t_ftp__username": "wms", "t_ftp__password": "pw", "folder_inbox": "/in", "folder_outbox": "/out",
        "folder_archive": "", "folder_error": "", "go": "next"})
    assert "Manual (API and CSV orders)" in client.get("/connections/new/store/").content.decode()
    client.post("/connections/new/store/", {"name": "Phone orders", "platform": "manual", "go": "next"})
    report = client.post("/connections/new/test-store/", {"name": "x", "platform": "manual"}).content.decode()
    assert "there is no store to reach" in report
    # The warehouse (port 1) was never tested: adding it takes the explicit choice, and it stays disabled.
    response = client.post("/connections/new/review/", {"go": "next", "add_anyway": "on"})
    conn = Connection.objects.get(name="Phone orders")
    assert response["Location"] == f"/connections/{conn.pk}/"
    assert conn.store.platform == "manual" and conn.store.credentials == {}
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert f"/connections/{conn.pk}/orders/upload/" in page
    assert "order_number" in client.get(f"/connections/{conn.pk}/orders/upload/").content.decode()
