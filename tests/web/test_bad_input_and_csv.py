"""Input a person can type into a URL or a form answers 400/404, never a 500 without a trace;
an unexpected error is logged with its traceback; exported CSV never runs as a spreadsheet formula."""
import csv
import io
import logging

import pytest

from dockline.accounts.models import Role
from dockline.mapping.csv import import_listings
from dockline.mapping.models import Listing
from dockline.mapping.services import save_listing


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def test_a_store_filter_past_the_64_bit_range_answers_400(client, admin, make_connection):
    make_connection()
    assert client.get("/orders/", {"store": "9223372036854775808"}).status_code == 400
    assert client.get("/orders/", {"store": "abc"}).status_code == 400
    assert client.get("/orders/", {"store": "9223372036854775807"}).status_code == 200


def test_a_bulk_action_with_a_twenty_digit_id_answers_400_and_changes_nothing(client, admin, make_connection,
                                                                               make_order):
    order = make_order(make_connection(), "1001", status="error")
    response = client.post("/orders/bulk/", {"action": "retry", "ids": [str(order.pk), "12345678901234567890"]})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == "error"


def test_needs_mapping_with_a_connection_that_is_not_a_number_answers_400(client, admin):
    response = client.post("/mapping/needed/", {"connection": "abc", "kind": "sku", "value": "X"})
    assert response.status_code == 400
    assert client.post("/mapping/needed/", {"connection": "99999999999999999999", "kind": "sku"}).status_code == 400
    assert client.post("/mapping/needed/", {"connection": "999999", "kind": "sku"}).status_code == 404


def test_an_unexpected_error_in_a_view_is_logged_with_its_traceback(client, admin, monkeypatch, caplog):
    from dockline.web import scope

    def broken(user):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(scope, "connections", broken)  # every orders query starts there
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get("/orders/").status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.exc_info and record.exc_info[0] is RuntimeError
    handlers = [h for h in logging.getLogger("django.request").handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "django.request errors must reach the console handler whatever DEBUG says"
    text = handlers[0].format(record)
    assert "Traceback (most recent call last)" in text and "the database went away" in text


def _exported_rows(client, conn) -> list[list[str]]:
    response = client.get(f"/connections/{conn.pk}/listings/export.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_exported_listings_never_start_a_cell_with_a_formula(client, admin, make_connection):
    conn = make_connection()
    save_listing(conn, "=cmd|' /C calc'!A0", [("+SUM(A1)", 1)])
    save_listing(conn, "@HYPERLINK", [("\tTAB", 2)])
    rows = _exported_rows(client, conn)
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'+SUM(A1)" in cells and "'@HYPERLINK" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_an_exported_file_imports_back_to_the_same_listings(client, admin, make_connection):
    conn = make_connection()
    save_listing(conn, "-BLUE", [("=W-1", 2), ("PLAIN", 1)])
    save_listing(conn, "'-QUOTED", [("'ODD", 1)])
    before = {(lst.store_sku, c.warehouse_sku, c.quantity)
              for lst in Listing.objects.filter(connection=conn) for c in lst.components.all()}
    data = client.get(f"/connections/{conn.pk}/listings/export.csv").content
    Listing.objects.filter(connection=conn).delete()
    result = import_listings(conn, data)
    assert result.errors == [] and result.saved == 2
    after = {(lst.store_sku, c.warehouse_sku, c.quantity)
             for lst in Listing.objects.filter(connection=conn) for c in lst.components.all()}
    assert after == before
