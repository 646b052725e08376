"""The connection pages read a fixed number of queries: more channels, runs or connections never add a query each."""
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dockline.accounts.models import Role
from dockline.connections.models import Channel, ChannelKind
from dockline.sync.models import SyncRun
from dockline.web import summaries

pytestmark = pytest.mark.django_db


def _runs(conn, per_channel: int, *, running: bool = False) -> None:
    now = timezone.now()
    for ch in conn.channels.all():
        for i in range(per_channel):
            SyncRun.objects.create(channel=ch, started_at=now - timedelta(minutes=i + 1), finished_at=now,
                                   ok=i % 2 == 0, counts={"orders": i}, error="" if i % 2 == 0 else f"failed {i}")
        if running:
            SyncRun.objects.create(channel=ch, started_at=now)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(db) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_connection_page_asks_the_same_queries_for_one_channel_or_all_and_any_number_of_runs(
        client, make_connection, login_as):
    conn = make_connection()
    login_as(Role.ADMIN)
    url, runs_url = f"/connections/{conn.pk}/", f"/connections/{conn.pk}/runs/"
    Channel.objects.filter(connection=conn).exclude(kind=ChannelKind.ORDERS).delete()
    _runs(conn, 1)
    one_channel, one_channel_runs = _queries(client, url), _queries(client, runs_url)
    for kind in (ChannelKind.SHIPMENTS, ChannelKind.INVENTORY):
        Channel.objects.create(connection=conn, kind=kind, interval=timedelta(hours=1))
    _runs(conn, 12, running=True)
    assert _queries(client, url) == one_channel
    assert _queries(client, runs_url) == one_channel_runs


def test_the_connections_list_asks_the_same_queries_for_one_connection_or_five(client, make_connection, login_as):
    first = make_connection("Acme")
    _runs(first, 2)
    login_as(Role.ADMIN)
    one = _queries(client, "/connections/")
    for name in ("Globex", "Initech", "Umbrella", "Hooli"):
        _runs(make_connection(name), 3, running=True)
    assert _queries(client, "/connections/") == one


def test_channel_rows_show_each_channels_own_last_finished_run_and_whether_one_runs_now(make_connection, login_as):
    conn, other = make_connection("Acme"), make_connection("Globex")
    now = timezone.now()
    orders = conn.channels.get(kind=ChannelKind.ORDERS)
    SyncRun.objects.create(channel=orders, started_at=now - timedelta(minutes=9), finished_at=now, ok=False,
                           error="older")
    newest = SyncRun.objects.create(channel=orders, started_at=now - timedelta(minutes=2), finished_at=now, ok=True)
    SyncRun.objects.create(channel=orders, started_at=now)  # running: not "last"
    SyncRun.objects.create(channel=other.channels.get(kind=ChannelKind.ORDERS), started_at=now + timedelta(minutes=1),
                           finished_at=now, ok=False)
    rows = {row["channel"].kind: row for row in summaries.channel_rows(conn)}
    assert rows[ChannelKind.ORDERS]["last"] == newest and rows[ChannelKind.ORDERS]["running"]
    assert rows[ChannelKind.SHIPMENTS]["last"] is None and not rows[ChannelKind.SHIPMENTS]["running"]
    user = login_as(Role.ADMIN)
    listed = {row["connection"].pk: row for row in summaries.connection_rows(user)}
    assert [r["last"] for r in listed[conn.pk]["channels"] if r["channel"].kind == ChannelKind.ORDERS] == [newest]
