"""The scheduler: leases, intervals, disabled connections."""
from datetime import timedelta

import pytest
from django.utils import timezone

from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Channel, Connection, Store
from dockline.sync.jobs import run_channel
from dockline.sync.models import SyncRun
from dockline.sync.scheduler import claim_due, lease_length, release
from dockline.warehouses.models import Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    org = Organization.objects.create(name="3PL")
    merchant = Merchant.objects.create(organization=org, name="M")
    store = Store.objects.create(organization=org, merchant=merchant, name="S", platform="bigcommerce",
                                 credentials={"store_hash": "x", "access_token": "t"},
                                 settings={"api_base": "http://127.0.0.1:9"})
    warehouse = Warehouse.objects.create(organization=org, name="W", credentials={"host": "127.0.0.1", "port": 9})
    return Connection.objects.create(organization=org, name="C", merchant=merchant, store=store, warehouse=warehouse)


def test_new_connection_is_disabled_with_default_schedules(connection):
    assert connection.enabled is False
    intervals = dict(connection.channels.values_list("kind", "interval"))
    assert intervals == {"orders": timedelta(minutes=15), "shipments": timedelta(hours=4),
                         "inventory": timedelta(minutes=60)}


def test_disabled_connections_and_channels_never_run(connection):
    assert claim_due("a") == []
    connection.enabled = True
    connection.save()
    connection.channels.filter(kind="inventory").update(enabled=False)
    claimed = claim_due("a")
    assert sorted(Channel.objects.get(id=i).kind for i in claimed) == ["orders", "shipments"]


def test_a_leased_job_is_not_claimed_twice_until_the_lease_expires(connection):
    connection.enabled = True
    connection.save()
    first = claim_due("a")
    assert len(first) == 3
    Channel.objects.update(next_run_at=timezone.now())  # due again, but still leased
    assert claim_due("b") == []
    later = timezone.now() + lease_length() + timedelta(seconds=1)
    taken_over = claim_due("b", now=later)
    assert sorted(taken_over) == sorted(first)
    assert set(Channel.objects.values_list("lease_owner", flat=True)) == {"b"}
    # The first owner's run is refused: it lost the lease.
    assert run_channel(first[0], "a") is None


def test_next_run_follows_the_interval(connection):
    connection.enabled = True
    connection.save()
    now = timezone.now()
    claim_due("a", now=now)
    orders = connection.channels.get(kind="orders")
    assert orders.next_run_at == now + timedelta(minutes=15)
    release(orders.id, "a")
    assert claim_due("a", now=now + timedelta(minutes=14)) == []
    assert orders.id in claim_due("a", now=now + timedelta(minutes=15))


def test_a_failing_run_is_recorded_with_its_reason(connection):
    connection.enabled = True
    connection.save()
    channel = connection.channels.get(kind="orders")
    claim_due("a")
    run = run_channel(channel.id, "a")
    assert run.ok is False
    assert run.error  # port 9 refuses: the store cannot be reached
    assert SyncRun.objects.filter(channel=channel).count() == 1
    channel.refresh_from_db()
    assert channel.lease_owner == "" and channel.lease_expires_at is None


def test_a_message_delivered_twice_runs_the_job_once(connection):
    connection.enabled = True
    connection.save()
    orders = connection.channels.get(kind="orders")
    assert orders.id in claim_due("claim-1")
    assert run_channel(orders.id, "claim-1") is not None
    assert run_channel(orders.id, "claim-1") is None  # the redelivered message finds the claim used
    assert SyncRun.objects.filter(channel=orders).count() == 1


def test_two_schedulers_never_claim_the_same_job(connection):
    connection.enabled = True
    connection.save()
    a, b = claim_due("sched-a"), claim_due("sched-b")
    assert len(a) == 3 and b == []


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread
def test_a_run_that_lost_its_lease_stops_before_its_next_side_effect(connection, settings):
    import time

    from dockline.sync.scheduler import LeaseLost, ensure_lease, heartbeat, take

    settings.LEASE_SECONDS = 0.3
    connection.enabled = True
    connection.save()
    orders = connection.channels.get(kind="orders")
    claim_due("claim")
    token = take(orders.id, "claim")
    with heartbeat(orders.id, token):
        ensure_lease()  # ours: carries on
        Channel.objects.filter(id=orders.id).update(lease_owner="someone-else")  # expired and taken over
        time.sleep(0.25)  # past the next heartbeat
        with pytest.raises(LeaseLost, match="another worker took it over"):
            ensure_lease()
    ensure_lease()  # outside a leased job: nothing to check


@pytest.fixture
def leased(connection, settings):
    """The orders channel claimed and taken by worker "claim", with a 0.3 s lease: (channel, lease token)."""
    from dockline.sync.scheduler import take

    settings.LEASE_SECONDS = 0.3
    connection.enabled = True
    connection.save()
    orders = connection.channels.get(kind="orders")
    claim_due("claim")
    return orders, take(orders.id, "claim")


def _on_beats(monkeypatch, beat) -> None:
    """Run `beat(changes)` before each update the heartbeat thread makes (the lease renewal)."""
    import threading

    from django.db.models.query import QuerySet

    real_update = QuerySet.update

    def update(self, **changes):
        if threading.current_thread().name.startswith("lease-"):
            beat(changes)
        return real_update(self, **changes)

    monkeypatch.setattr(QuerySet, "update", update)


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread
def test_a_heartbeat_that_meets_a_database_error_keeps_beating(leased, monkeypatch):
    import time

    from django.db import OperationalError

    from dockline.sync.scheduler import ensure_lease, heartbeat

    orders, token = leased
    failures = []

    def busy_once(changes):
        if not failures:
            failures.append(changes)
            raise OperationalError("database is locked")

    _on_beats(monkeypatch, busy_once)
    with heartbeat(orders.id, token):
        time.sleep(0.7)  # the first beat fails; the lease would have expired twice without the next ones
        ensure_lease()
        assert Channel.objects.get(id=orders.id).lease_expires_at > timezone.now()
    assert len(failures) == 1


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread
def test_a_heartbeat_whose_connection_the_server_dropped_renews_the_lease_again(leased, monkeypatch):
    """A database restart drops every connection; the beat's own one stays broken unless the beat reconnects,
    and then the lease runs out under a job still running, which another worker claims and runs alongside."""
    import time

    from django.db import connection as db

    from dockline.sync.scheduler import ensure_lease, heartbeat

    orders, token = leased
    dropped = []

    def dropped_once(changes):
        if not dropped:
            db.ensure_connection()
            db.connection.close()  # the server side went away under Django
            dropped.append(changes)

    _on_beats(monkeypatch, dropped_once)
    with heartbeat(orders.id, token):
        time.sleep(0.7)  # the first beat fails on the dead connection; without reconnecting, so would every next one
        ensure_lease()
        assert Channel.objects.get(id=orders.id).lease_expires_at > timezone.now()
    assert len(dropped) == 1


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread
def test_a_run_whose_lease_could_not_be_renewed_in_time_stops_before_its_next_side_effect(leased, monkeypatch):
    """The lease ran out while the database was away: another worker may have claimed the job meanwhile."""
    import time

    from django.db import OperationalError

    from dockline.sync.scheduler import LeaseLost, ensure_lease, heartbeat

    orders, token = leased

    def unreachable(changes):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    _on_beats(monkeypatch, unreachable)
    with heartbeat(orders.id, token):
        ensure_lease()  # renewed less than a lease ago: still ours
        time.sleep(0.35)
        with pytest.raises(LeaseLost, match="could not be renewed for 0.3 s"):
            ensure_lease()
