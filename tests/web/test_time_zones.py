"""Times in the reader's time zone (theirs, else the organization's) with UTC on hover, and chart days
that cannot be misread."""
import re
from datetime import UTC, date, datetime

import pytest

from dockline.accounts.models import Membership, Role
from dockline.connections.models import ChannelKind
from dockline.orders.models import Order
from dockline.sync.models import SyncRun
from dockline.web.chart import orders_per_day

pytestmark = pytest.mark.django_db
STARTED = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)


@pytest.fixture
def conn(make_connection):
    conn = make_connection()
    SyncRun.objects.create(channel=conn.channels.get(kind=ChannelKind.ORDERS), started_at=STARTED,
                           finished_at=STARTED, ok=True, counts={"imported": 1})
    return conn


def _time(page: str) -> str:
    return re.search(r'<time datetime="2026-11-30T23:30:00Z" title="2026-11-30 23:30:00 UTC">([^<]*)</time>',
                     page).group(1)


def test_times_show_in_the_organizations_zone_until_a_person_picks_their_own(client, conn, org, login_as):
    user = login_as(Role.ADMIN)
    assert _time(client.get(f"/connections/{conn.pk}/runs/").content.decode()) == "Mon 30 Nov, 23:30"
    org.time_zone = "America/Chicago"
    org.save()
    assert _time(client.get(f"/connections/{conn.pk}/runs/").content.decode()) == "Mon 30 Nov, 17:30"
    Membership.objects.filter(user=user).update(time_zone="Asia/Tokyo")
    page = client.get(f"/connections/{conn.pk}/runs/").content.decode()
    assert _time(page) == "Tue 1 Dec, 08:30" and "times in Asia/Tokyo" in page


def test_the_account_page_sets_the_persons_zone_and_an_administrator_sets_the_organizations(client, org, login_as):
    user = login_as(Role.STAFF)
    page = client.get("/account/").content.decode()
    assert "The organization&#x27;s (UTC)" in page and "organization_time_zone" not in page
    page = client.post("/account/", {"time_zone": "Europe/Lisbon"}, follow=True).content.decode()
    assert "times show in Europe/Lisbon" in page
    assert Membership.objects.get(user=user).time_zone == "Europe/Lisbon"
    assert client.post("/account/", {"time_zone": "Mars/Olympus"}).status_code == 200  # said, not saved
    assert Membership.objects.get(user=user).time_zone == "Europe/Lisbon"

    login_as(Role.ADMIN, username="boss")
    client.post("/account/", {"time_zone": "", "organization_time_zone": "America/New_York"})
    org.refresh_from_db()
    assert org.time_zone == "America/New_York"
    assert Membership.objects.get(user=user).effective_time_zone == "Europe/Lisbon"


def test_the_chart_labels_days_with_weekday_day_and_month(make_connection):
    conn = make_connection()
    chart = orders_per_day(Order.objects.filter(connection=conn), days=14, today=date(2026, 12, 1))
    labels = [b["label"] for b in chart["bars"] if b["label"]]
    assert labels[-1] == "Tue 1 Dec" and "Mon 30 Nov" not in labels and "Sun 29 Nov" in labels
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}", label) for label in labels)


def test_a_stored_zone_this_machine_does_not_know_falls_back_to_utc(client, conn, org, login_as):
    login_as(Role.ADMIN)
    org.time_zone = "Atlantis/Capital"  # saved before a tzdata update removed it, say
    org.save()
    assert _time(client.get(f"/connections/{conn.pk}/runs/").content.decode()) == "Mon 30 Nov, 23:30"
