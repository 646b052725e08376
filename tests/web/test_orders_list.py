"""The orders list at scale: cursor pages that reach every order, search, columns without N+1 queries,
a streamed CSV of the filtered list, and bulk actions that say what each order became."""
import csv
import io
import re
from datetime import timedelta

from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization, Role
from dockline.connections.models import Connection, Store
from dockline.orders.models import Order, OrderLine
from dockline.shipments.models import Package, Shipment
from dockline.warehouses.models import Warehouse
from dockline.web.order_list import PAGE_SIZE


def bulk_orders(conn, n: int, *, status: str = "closed", start: int = 5000) -> list[Order]:
    """`n` orders one minute apart (the newest last), with a customer and an address."""
    now = timezone.now()
    return Order.objects.bulk_create(
        Order(connection=conn, store=conn.store, external_id=str(start + i), number=str(start + i), status=status,
              placed_at=now - timedelta(minutes=n - i), store_modified_at=now, customer_name=f"Buyer {i}",
              customer_email=f"buyer{i}@example.com",
              destinations=[{"ref": "1", "shipping_method": "Ground", "address": {
                  "name": f"Buyer {i}", "street1": "1 Main St", "city": "Springfield", "state": "IL",
                  "postal_code": "62701", "country": "US", "phone": "555-0100"}}])
        for i in range(n))


def numbers(html: str) -> list[str]:
    return re.findall(r'href="/orders/\d+/">#(\d+)<', html)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return "/orders/" + found.group(1).replace("&amp;", "&") if found else None  # the tag writes "?after=…"


def test_following_older_links_reaches_every_order_once_and_newer_links_come_back(
        client, make_connection, login_as):
    conn = make_connection()
    orders = bulk_orders(conn, PAGE_SIZE * 2 + 7)
    tied = orders[10].placed_at  # two orders placed in the same microsecond still each appear once
    Order.objects.filter(pk=orders[11].pk).update(placed_at=tied)
    login_as(Role.ADMIN)
    seen, url, pages = [], "/orders/", []
    while url:
        html = client.get(url).content.decode()
        pages.append(url)
        seen += numbers(html)
        url = link(html, "next")
    assert len(pages) == 3
    assert sorted(seen) == sorted(o.number for o in orders) and len(seen) == len(set(seen))
    with CaptureQueriesContext(connection) as queries:
        last = client.get(pages[-1]).content.decode()
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    back = client.get(link(last, "prev")).content.decode()
    assert numbers(back) == numbers(client.get(pages[1]).content.decode())


def test_filters_stay_on_the_cursor_links(client, make_connection, login_as):
    conn = make_connection()
    bulk_orders(conn, PAGE_SIZE + 5, status="error")
    bulk_orders(conn, 30, status="closed", start=9000)
    login_as(Role.ADMIN)
    html = client.get("/orders/?status=error").content.decode()
    older = link(html, "next")
    assert "status=error" in older
    rest = client.get(older).content.decode()
    assert len(numbers(rest)) == 5 and not any(n.startswith("90") for n in numbers(rest))
    assert f"{PAGE_SIZE + 5} orders match" in html


def test_search_finds_an_order_by_number_email_name_sku_and_tracking(client, make_connection, login_as):
    conn = make_connection()
    orders = bulk_orders(conn, 12)
    target = orders[7]
    OrderLine.objects.create(order=target, line_id="1", sku="ACME-Mug", quantity=1)
    shipment = Shipment.objects.create(order=target, warehouse=conn.warehouse, warehouse_shipment_id="S1",
                                       shipped_at=timezone.now())
    Package.objects.create(shipment=shipment, tracking_number="1Z999AA10123456784")
    login_as(Role.ADMIN)
    for q in (f"%23{target.number}", "BUYER7@example.com", "buyer 7", "acme-mug", "1Z999AA10123456784"):
        assert numbers(client.get(f"/orders/?q={q}").content.decode()) == [target.number], q
    html = client.get("/orders/?q=1Z999AA10123456784").content.decode()
    assert "1Z999AA10123456784" in html and "Springfield, IL US" in html  # tracking and ship-to columns
    assert numbers(client.get("/orders/?q=nobody").content.decode()) == []


def test_a_list_page_costs_the_same_queries_for_fifty_orders_as_for_three(
        client, make_connection, login_as, django_assert_num_queries):
    """Pinned: session, user, membership, organization, the page, its tracking numbers, the count, the
    stores of the filter and the header's count of open alerts (the live refresh, a fragment without the
    header, skips the last two). A column that read per row would add fifty."""
    conn = make_connection()
    few = bulk_orders(conn, 3)
    login_as(Role.ADMIN)
    client.get("/orders/")  # warm the session
    with django_assert_num_queries(QUERIES_PER_PAGE):
        client.get("/orders/")
    bulk_orders(conn, PAGE_SIZE, start=7000)
    for o in Order.objects.all()[:20]:
        s = Shipment.objects.create(order=o, warehouse=conn.warehouse, warehouse_shipment_id=f"S{o.pk}",
                                    shipped_at=timezone.now())
        Package.objects.create(shipment=s, tracking_number=f"T{o.pk}")
    with django_assert_num_queries(QUERIES_PER_PAGE):
        html = client.get("/orders/?status=closed&q=&before=&after=").content.decode()
    assert len(numbers(html)) == PAGE_SIZE and few
    with django_assert_num_queries(QUERIES_PER_PAGE - 2):
        client.get("/orders/", HTTP_HX_REQUEST="true")


QUERIES_PER_PAGE = 9


def test_csv_export_streams_every_filtered_order_of_this_organization_only(client, make_connection, login_as):
    conn = make_connection()
    bulk_orders(conn, 2100, status="open")  # more than one keyset chunk of 2000
    bulk_orders(conn, 40, status="closed", start=20000)
    other_org = Organization.objects.create(name="Elsewhere")
    merchant = Merchant.objects.create(organization=other_org, name="Theirs")
    store = Store.objects.create(organization=other_org, merchant=merchant, name="Their store",
                                 platform="bigcommerce", credentials={})
    wh = Warehouse.objects.create(organization=other_org, name="Their 3PL", credentials={})
    theirs = Connection.objects.create(organization=other_org, merchant=merchant, name="Theirs", store=store,
                                       warehouse=wh)
    bulk_orders(theirs, 25, status="open", start=30000)
    login_as(Role.ADMIN)
    response = client.get("/orders/export.csv?status=open")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["Order", "Store", "Placed (UTC)", "Status"]
    assert len(rows) == 1 + 2100
    assert {r[3] for r in rows[1:]} == {"Open"} and not any(r[0].startswith("30") for r in rows[1:])
    assert rows[1][8:14] == ["1 Main St", "", "Springfield", "IL", "62701", "US"]
    assert len({r[0] for r in rows[1:]}) == 2100


def test_csv_export_of_a_merchant_user_holds_only_their_merchants_orders(client, make_connection, login_as):
    mine, other = make_connection("Acme"), make_connection("Birch")
    bulk_orders(mine, 3)
    bulk_orders(other, 4, start=8000)
    login_as(Role.MERCHANT, merchants=[mine.merchant])
    rows = list(csv.reader(io.StringIO(b"".join(client.get("/orders/export.csv").streaming_content).decode())))
    assert len(rows) == 4 and {r[1] for r in rows[1:]} == {"Acme store"}


def test_a_cell_that_starts_like_a_formula_is_not_run_by_a_spreadsheet(client, make_connection, login_as):
    conn = make_connection()
    Order.objects.filter(pk__in=[o.pk for o in bulk_orders(conn, 1)]).update(customer_name="=HYPERLINK(1)")
    login_as(Role.ADMIN)
    body = b"".join(client.get("/orders/export.csv").streaming_content).decode()
    assert "'=HYPERLINK(1)" in body


def test_reprocess_that_ends_in_error_says_so_per_order_instead_of_done(client, make_connection, make_order,
                                                                         login_as):
    conn = make_connection()
    stuck = make_order(conn, "1001", skus=("NOPE",), status="error")
    closed = make_order(conn, "1002", status="closed")
    login_as(Role.ADMIN)
    html = client.post("/orders/bulk/", {"action": "reprocess", "ids": [stuck.pk, closed.pk]},
                       follow=True).content.decode()
    assert "done for" not in html
    assert "Reprocess on 2 order(s): 1 now Error, 1 refused." in html
    assert "#1001 went back to Error: " in html and "SKU NOPE has no listing" in html
    assert "#1002 is Closed; only" in html
    page = client.post(f"/orders/{stuck.pk}/action/", {"action": "reprocess"}, follow=True).content.decode()
    assert "#1001 went back to Error" in page and "done;" not in page


def test_a_closed_order_offers_only_archive_and_an_error_order_offers_reprocess_and_reset(
        client, make_connection, make_order, login_as):
    conn = make_connection()
    closed = make_order(conn, "1", status="closed")
    stuck = make_order(conn, "2", status="error")
    canceled = make_order(conn, "3", status="canceled")
    login_as(Role.ADMIN)

    def offered(order):
        html = client.get(f"/orders/{order.pk}/").content.decode()
        form = html.split('id="order-actions"')[1].split("</form>")[0] if 'id="order-actions"' in html else ""
        return re.findall(r'name="action" value="(\w+)"', form)

    assert offered(closed) == ["archive"]
    assert offered(stuck) == ["reprocess", "reset", "archive", "cancel"]  # not sent yet: it can still be cancelled
    assert offered(canceled) == ["archive"]
    listing = client.get("/orders/?status=closed").content.decode()
    assert re.findall(r'name="action" value="(\w+)"', listing) == ["archive"]
    assert 'data-actions="archive"' in listing


def test_order_page_shows_the_whole_ship_to_and_the_customer(client, make_connection, login_as):
    conn = make_connection()
    [order] = bulk_orders(conn, 1)
    Order.objects.filter(pk=order.pk).update(customer_name="Ann Buyer", destinations=[{
        "ref": "1", "shipping_method": "Ground", "address": {
            "name": "Ben Receiver", "company": "Receiving Co", "street1": "12 Dock Rd", "street2": "Suite 400",
            "city": "Reno", "state": "NV", "postal_code": "89501", "country": "US", "phone": "+1 775 555 0199"}}])
    login_as(Role.ADMIN)
    html = client.get(f"/orders/{order.pk}/").content.decode()
    for text in ("Ann Buyer", "buyer0@example.com", "Ben Receiver", "Receiving Co", "12 Dock Rd", "Suite 400",
                 "Reno, NV 89501", "+1 775 555 0199"):
        assert text in html, text


def test_htmx_refresh_gets_the_table_alone_and_a_direct_visit_the_whole_page(client, make_connection, login_as):
    conn = make_connection()
    bulk_orders(conn, 3)
    login_as(Role.ADMIN)
    fragment = client.get("/orders/?status=closed", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="orders-live"') and "<html" not in fragment
    assert 'hx-get="/orders/?status=closed"' in fragment
    assert "<html" in client.get("/orders/?status=closed").content.decode()
    home = client.get("/", HTTP_HX_REQUEST="true").content.decode()
    assert home.startswith('<div id="home-live"') and "<html" not in home
    assert 'id="home-live"' in client.get("/").content.decode()


def test_a_cursor_that_the_links_did_not_write_shows_the_first_page_instead_of_failing(
        client, make_connection, login_as):
    conn = make_connection()
    bulk_orders(conn, 3)
    login_as(Role.ADMIN)
    for bad in ("12.99999999999999999999", "x.1", "1.²", "99999999999999999999.1", "1"):
        response = client.get(f"/orders/?after={bad}")
        assert response.status_code == 200 and len(numbers(response.content.decode())) == 3, bad
