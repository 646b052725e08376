"""What the dashboard shows for a warehouse's setup problem and for orders whose retries ran out."""
import pytest
from django.urls import reverse

from dockline.accounts.models import Role
from dockline.connections.models import ChannelKind, Side
from dockline.core.errors import ErrorKind
from dockline.orders.status import OrderStatus as S
from dockline.sync.models import SyncRun

pytestmark = pytest.mark.django_db

INBOX = "FTP writing /in/ord_1.csv failed: permission denied (553 Could not create file.)"


def test_the_connection_page_warns_of_a_setup_problem_until_the_next_run_works(client, make_connection, login_as):
    conn = make_connection()
    login_as(Role.ADMIN)
    channel = conn.channels.get(kind=ChannelKind.ORDERS)
    SyncRun.objects.create(channel=channel, ok=False, error=INBOX, kind=ErrorKind.CONFIG, side=Side.WAREHOUSE)

    page = client.get(reverse("connection", args=[conn.pk])).content.decode()
    assert "The warehouse&#x27;s setup needs fixing (orders stopped)" in page and "553 Could not create file." in page

    SyncRun.objects.create(channel=channel, ok=True)
    assert "setup needs fixing" not in client.get(reverse("connection", args=[conn.pk])).content.decode()


def test_a_passing_failure_is_no_setup_warning(client, make_connection, login_as):
    conn = make_connection()
    login_as(Role.ADMIN)
    SyncRun.objects.create(channel=conn.channels.get(kind=ChannelKind.ORDERS), ok=False,
                           error="FTP connect failed: timed out", kind=ErrorKind.RETRYABLE, side=Side.WAREHOUSE)
    assert "setup needs fixing" not in client.get(reverse("connection", args=[conn.pk])).content.decode()


def test_home_lists_failed_orders_apart_from_errors(client, make_connection, make_order, login_as):
    conn = make_connection()
    login_as(Role.ADMIN)
    order = make_order(conn, "1001", status=S.FAILED)
    order.error = "FTP connect failed: timed out"
    order.save()

    home = client.get(reverse("home")).content.decode()
    assert "Failed (retries ran out)" in home and "#1001" in home and "No orders in Error." in home
    listed = client.get(reverse("orders") + "?status=failed").content.decode()
    assert "#1001" in listed and "Retries ran out; reprocess it once the cause is fixed." in listed
