"""Schedules a person can see and trust: intervals in natural units that a save never changes behind their
back, when each channel runs next, paged run history, health beside the switch, and /runs/ as a full page."""
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from dockline.accounts.models import Role
from dockline.connections.models import Channel, ChannelKind
from dockline.core.durations import describe, natural
from dockline.sync.models import SyncRun

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The values a browser would send for the form posting to `action`: inputs, ticked boxes, selected options."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.values, self.select = action, False, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.values[a["name"]] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif self.inside and tag == "select":
            self.select = a.get("name")
        elif self.inside and tag == "option" and self.select and ("selected" in a or self.select not in self.values):
            self.values[self.select] = a.get("value")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def _form(client, conn) -> dict:
    parser = FormFields(f"/connections/{conn.pk}/settings/")
    parser.feed(client.get(f"/connections/{conn.pk}/").content.decode())
    return parser.values


@pytest.fixture
def conn(make_connection):
    return make_connection()


def test_renaming_a_connection_keeps_its_5_second_intervals(client, conn, login_as):
    Channel.objects.filter(connection=conn).update(interval=timedelta(seconds=5))
    login_as(Role.ADMIN)
    form = _form(client, conn)
    assert form["orders_every"] == "5" and form["orders_every_unit"] == "seconds"
    form["name"] = "Acme, renamed"
    page = client.post(f"/connections/{conn.pk}/settings/", form, follow=True).content.decode()
    assert "Settings saved." in page
    conn.refresh_from_db()
    assert conn.name == "Acme, renamed"
    assert set(conn.channels.values_list("interval", flat=True)) == {timedelta(seconds=5)}


def test_saving_the_form_untouched_changes_nothing_whatever_the_intervals(client, conn, login_as):
    odd = {ChannelKind.ORDERS: timedelta(seconds=90), ChannelKind.SHIPMENTS: timedelta(hours=4),
           ChannelKind.INVENTORY: timedelta(days=2)}
    for kind, interval in odd.items():
        Channel.objects.filter(connection=conn, kind=kind).update(interval=interval)
    login_as(Role.ADMIN)
    client.post(f"/connections/{conn.pk}/settings/", _form(client, conn))
    assert {ch.kind: ch.interval for ch in conn.channels.all()} == odd


def test_intervals_read_in_natural_units_and_are_entered_as_a_number_and_a_unit(client, conn, login_as):
    assert [describe(timedelta(minutes=m)) for m in (15, 240, 60, 90, 1)] == [
        "15 minutes", "4 hours", "1 hour", "90 minutes", "1 minute"]
    assert natural(timedelta(days=7)) == (7, "days")
    login_as(Role.ADMIN)
    page = client.get("/connections/").content.decode()
    assert "4 hours" in page and "15 minutes" in page and " min<" not in page
    form = {**_form(client, conn), "shipments_every": "2", "shipments_every_unit": "hours"}
    client.post(f"/connections/{conn.pk}/settings/", form)
    assert conn.channels.get(kind=ChannelKind.SHIPMENTS).interval == timedelta(hours=2)
    form = {**_form(client, conn), "orders_every": "20", "orders_every_unit": "seconds"}
    page = client.post(f"/connections/{conn.pk}/settings/", form, follow=True).content.decode()
    assert "Orders: the interval must be 1 minute to 7 days, not 20 seconds." in page
    assert conn.channels.get(kind=ChannelKind.ORDERS).interval == timedelta(minutes=15)


def test_each_channel_says_when_it_runs_next(client, conn, login_as):
    login_as(Role.ADMIN)
    assert "not while the connection is disabled" in client.get(f"/connections/{conn.pk}/").content.decode()
    conn.enabled = True
    conn.save()
    now = timezone.now()
    Channel.objects.filter(connection=conn, kind=ChannelKind.ORDERS).update(next_run_at=now + timedelta(minutes=12))
    Channel.objects.filter(connection=conn, kind=ChannelKind.SHIPMENTS).update(next_run_at=now - timedelta(seconds=1))
    Channel.objects.filter(connection=conn, kind=ChannelKind.INVENTORY).update(enabled=False)
    page = client.get(f"/connections/{conn.pk}/runs/", HTTP_HX_REQUEST="true").content.decode()
    rows = {k: re.search(rf'data-channel="{k}".*?class="next-run">(.*?)</td>', page, re.S).group(1)
            for k in ChannelKind.values}
    assert re.match(r"in 1[12]\xa0minutes · <time datetime=", rows["orders"]), rows["orders"]
    assert rows["shipments"] == "due now"
    assert "off" in rows["inventory"]


def _runs(conn, kind, n, ok=True, error=""):
    channel = conn.channels.get(kind=kind)
    start = timezone.now() - timedelta(hours=n)
    SyncRun.objects.bulk_create(SyncRun(channel=channel, started_at=start + timedelta(minutes=i),
                                        finished_at=start + timedelta(minutes=i, seconds=3), ok=ok,
                                        counts={"imported": i} if ok else {}, error=error) for i in range(n))


def test_opening_runs_directly_gives_a_full_page_and_htmx_gets_the_fragment(client, conn, login_as):
    login_as(Role.STAFF, [conn.merchant])
    full = client.get(f"/connections/{conn.pk}/runs/")
    assert "<html" in full.content.decode() and "dockline.css" in full.content.decode()
    assert "History" in full.content.decode()
    part = client.get(f"/connections/{conn.pk}/runs/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and part.lstrip().startswith("<table")
    assert "HX-Request" in full["Vary"]


def test_run_history_is_paged_per_channel_with_counts_and_errors(client, conn, login_as):
    _runs(conn, ChannelKind.ORDERS, 25)
    _runs(conn, ChannelKind.SHIPMENTS, 2, ok=False, error="The warehouse refused the login (530).")
    login_as(Role.ADMIN)
    first = client.get(f"/connections/{conn.pk}/runs/?channel=orders").content.decode().split('id="history"')[1]
    assert first.count("imported ") == 20 and "refused the login" not in first
    older = re.search(r'href="([^"]*before=\d+)#history"', first).group(1).replace("&amp;", "&")
    second = client.get(older).content.decode().split('id="history"')[1]
    assert second.count("imported ") == 5 and "Older runs" not in second
    every = client.get(f"/connections/{conn.pk}/runs/").content.decode()
    assert "The warehouse refused the login (530)." in every


def test_a_connection_whose_channels_fail_shows_its_health_beside_the_switch(client, conn, login_as):
    conn.enabled = True
    conn.save()
    _runs(conn, ChannelKind.ORDERS, 1, ok=False, error="BigCommerce rejected the access token (401).")
    _runs(conn, ChannelKind.SHIPMENTS, 1, ok=False, error="timed out")
    _runs(conn, ChannelKind.INVENTORY, 1)
    login_as(Role.ADMIN)
    for url in ("/connections/", f"/connections/{conn.pk}/"):
        page = client.get(url).content.decode()
        assert "Enabled · failing: orders, shipments" in page
    _runs(conn, ChannelKind.ORDERS, 1)  # a newer run works again... but it was created with an older time
    SyncRun.objects.filter(channel__kind="orders", ok=True).update(started_at=timezone.now())
    assert "Enabled · failing: shipments<" in client.get("/connections/").content.decode()
