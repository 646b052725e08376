"""A connection's page: adding a warehouse it also ships from, routing, and the stock buffer and minimum."""
from dockline.accounts.models import Organization, Role
from dockline.connections.models import BufferUnit, Routing
from dockline.warehouses.models import Warehouse


def test_an_administrator_adds_a_second_warehouse_and_sets_split_routing_and_a_percent_buffer(
        client, org, make_connection, login_as):
    login_as(Role.ADMIN)
    conn = make_connection()
    harbor = Warehouse.objects.create(organization=org, name="Harbor 3PL", credentials={"host": "127.0.0.1"})
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert '<option value="%d">Harbor 3PL</option>' % harbor.pk in page

    client.post(f"/connections/{conn.pk}/warehouses/add/", {"warehouse": harbor.pk})
    client.post(f"/connections/{conn.pk}/stock/", {"routing": Routing.SPLIT, "stock_buffer": "15",
                                                   "stock_buffer_unit": BufferUnit.PERCENT, "stock_minimum": "3"})
    conn.refresh_from_db()
    assert [w.name for w in conn.warehouses()] == ["Acme 3PL", "Harbor 3PL"]
    assert (conn.routing, conn.stock_buffer, conn.stock_buffer_unit, conn.stock_minimum) == (
        Routing.SPLIT, 15, BufferUnit.PERCENT, 3)
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert "also ships from Harbor 3PL now" in page and "Routing and stock settings saved." in page

    again = client.post(f"/connections/{conn.pk}/warehouses/add/", {"warehouse": harbor.pk}, follow=True)
    assert "already ships from Harbor 3PL" in again.content.decode()
    client.post(f"/connections/{conn.pk}/warehouses/remove/", {"warehouse": harbor.pk})
    assert [w.name for w in conn.warehouses()] == ["Acme 3PL"]



def test_removing_a_warehouse_says_so_and_a_post_without_one_asks_to_pick_it(client, org, make_connection, login_as):
    login_as(Role.ADMIN)
    conn = make_connection()
    harbor = Warehouse.objects.create(organization=org, name="Harbor 3PL", credentials={"host": "127.0.0.1"})
    client.post(f"/connections/{conn.pk}/warehouses/add/", {"warehouse": harbor.pk})
    for verb in ("add", "remove"):
        page = client.post(f"/connections/{conn.pk}/warehouses/{verb}/", {}, follow=True).content.decode()
        assert f"Pick a warehouse to {verb}." in page
    page = client.post(f"/connections/{conn.pk}/warehouses/remove/", {"warehouse": harbor.pk},
                       follow=True).content.decode()
    assert f"{conn.name} no longer ships from Harbor 3PL." in page
    assert [w.name for w in conn.warehouses()] == ["Acme 3PL"]

def test_a_buffer_over_100_percent_is_refused_and_nothing_changes(client, make_connection, login_as):
    login_as(Role.ADMIN)
    conn = make_connection()
    page = client.post(f"/connections/{conn.pk}/stock/", {"routing": Routing.FIRST, "stock_buffer": "150",
                                                          "stock_buffer_unit": BufferUnit.PERCENT,
                                                          "stock_minimum": "0"}, follow=True).content.decode()
    assert "A buffer in percent is at most 100." in page
    conn.refresh_from_db()
    assert conn.stock_buffer == 0


def test_another_organizations_warehouse_cannot_be_added_and_a_merchant_user_cannot_change_anything(
        client, make_connection, login_as):
    conn = make_connection()
    stranger = Warehouse.objects.create(organization=Organization.objects.create(name="Other 3PL"), name="Theirs")
    login_as(Role.ADMIN)
    assert client.post(f"/connections/{conn.pk}/warehouses/add/", {"warehouse": stranger.pk}).status_code == 404
    login_as(Role.MERCHANT, merchants=[conn.merchant], username="shopkeeper")
    assert client.post(f"/connections/{conn.pk}/stock/", {"routing": Routing.SPLIT, "stock_buffer": "1",
                                                          "stock_buffer_unit": BufferUnit.UNITS,
                                                          "stock_minimum": "0"}).status_code == 404  # as if absent
    conn.refresh_from_db()
    assert conn.warehouses() == [conn.warehouse] and conn.routing == Routing.FIRST


def test_a_listing_gets_its_own_buffer_and_clearing_it_brings_back_the_connections(client, make_connection, login_as):
    from dockline.mapping.models import Listing

    login_as(Role.ADMIN)
    conn = make_connection()
    kit = Listing.objects.create(connection=conn, store_sku="KIT")
    page = client.post(f"/connections/{conn.pk}/listings/{kit.pk}/buffer/",
                       {"stock_buffer": "2", "stock_buffer_unit": BufferUnit.UNITS}, follow=True).content.decode()
    assert "Listing KIT: holds back 2 units." in page
    kit.refresh_from_db()
    assert (kit.stock_buffer, kit.stock_buffer_unit) == (2, BufferUnit.UNITS)
    client.post(f"/connections/{conn.pk}/listings/{kit.pk}/buffer/",
                {"stock_buffer": "", "stock_buffer_unit": BufferUnit.UNITS})
    kit.refresh_from_db()
    assert kit.stock_buffer is None


def test_a_split_orders_page_says_which_warehouse_ships_what_and_which_part_waits(
        client, org, make_connection, make_order, login_as):
    from django.utils import timezone

    from dockline.orders.models import OrderPart, OrderPartLine

    login_as(Role.ADMIN)
    conn = make_connection()
    harbor = Warehouse.objects.create(organization=org, name="Harbor 3PL", credentials={"host": "127.0.0.1"})
    order = make_order(conn, "1001", skus=("MUG", "LANTERN"))
    mug, lantern = order.lines.all()
    for warehouse, line, sent in ((conn.warehouse, mug, timezone.now()), (harbor, lantern, None)):
        part = OrderPart.objects.create(order=order, warehouse=warehouse, sent_at=sent)
        OrderPartLine.objects.create(part=part, order_line=line, quantity=1)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "<strong>Acme 3PL</strong> ships 1 × <code>MUG</code> <span class=\"muted\">sent " in page
    assert "<strong>Harbor 3PL</strong> ships 1 × <code>LANTERN</code> <span class=\"muted\">waiting to be sent" in page
