"""The wizard's steps read by forms: each error is drawn next to its field, and what was typed stays."""
import pytest

from dockline.accounts.models import Merchant, Role

pytestmark = pytest.mark.django_db


def _through_merchant(client):
    client.post("/connections/new/basic/", {"name": "Acme → Riverside", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme Outfitters", "go": "next"})


def test_a_merchant_name_taken_already_is_said_under_the_name_and_the_name_stays(client, org, login_as):
    Merchant.objects.create(organization=org, name="Acme Outfitters")
    login_as(Role.ADMIN)
    client.post("/connections/new/basic/", {"name": "Acme → Riverside", "go": "next"})
    page = client.post("/connections/new/merchant/", {"choice": "new", "new_name": "acme outfitters"}).content.decode()
    assert 'value="acme outfitters"' in page
    assert "A merchant with this name exists; select it under &#x27;An existing merchant&#x27;." in page
    page = client.post("/connections/new/merchant/", {"choice": "existing", "merchant_id": "x1"}).content.decode()
    assert '<p class="field-error">Select a merchant.</p>' in page


def test_a_missing_warehouse_host_is_said_under_the_host_and_a_typed_password_is_not_drawn_back(client, org, login_as):
    login_as(Role.ADMIN)
    _through_merchant(client)
    page = client.post("/connections/new/warehouse/", {
        "name": "", "transport": "sftp", "format": "no-such-format", "t_sftp__host": "", "t_sftp__port": "2222",
        "t_sftp__username": "wms", "t_sftp__password": "typed-secret-42", "folder_inbox": "/in"}).content.decode()
    host_at = page.index('name="t_sftp__host"')
    assert page.index('<p class="field-error">Host is required.</p>', host_at) < page.index('name="t_sftp__port"')
    assert "Name the warehouse, e.g. &#x27;Riverside 3PL&#x27;." in page
    assert 'value="2222"' in page and 'value="/in"' in page and "typed-secret-42" not in page
    assert "kept: " in page  # the password typed is kept (encrypted) and shown only as a mask
    assert '<option value="sftp" selected>' in page and '<option value="dsfx" selected>' in page


def test_an_unknown_platform_asks_to_choose_one(client, org, login_as):
    login_as(Role.ADMIN)
    _through_merchant(client)
    client.post("/connections/new/warehouse/", {"name": "Riverside", "transport": "ftp", "t_ftp__host": "h",
                                                "t_ftp__username": "u", "t_ftp__password": "p", "go": "next"})
    page = client.post("/connections/new/store/", {"name": "Acme", "platform": "myspace"}).content.decode()
    assert '<p class="field-error">Choose a platform.</p>' in page
