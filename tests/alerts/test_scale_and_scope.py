"""One check covers every policy at once: narrowing and thresholds still apply per policy, and a slow
warehouse server can neither stall the check nor stop the other conditions."""
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from dockline.accounts.models import Merchant
from dockline.alerts import inbox
from dockline.alerts.models import Alert
from dockline.alerts.services import evaluate_alerts
from dockline.alerts.status import Condition
from dockline.connections.models import ChannelKind, Connection, Store
from dockline.sync.models import SyncRun
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse


def another(org, name: str, **fields) -> Connection:
    merchant = Merchant.objects.create(organization=org, name=name)
    store = Store.objects.create(organization=org, merchant=merchant, name=f"{name} store", platform="bigcommerce",
                                 credentials={"store_hash": "y", "access_token": "t"})
    warehouse = Warehouse.objects.create(organization=org, name=f"{name} 3PL", credentials={"host": "127.0.0.1"})
    return Connection.objects.create(organization=org, name=f"{name} connection", merchant=merchant, store=store,
                                     warehouse=warehouse, enabled=True, **fields)


def failed_runs(connection, n: int) -> None:
    channel = connection.channels.get(kind=ChannelKind.ORDERS)
    start = timezone.now() - timedelta(minutes=n)
    for i in range(n):
        SyncRun.objects.create(channel=channel, started_at=start + timedelta(seconds=i), ok=False, error="Refused.")


def test_each_policy_keeps_its_own_connections_merchants_and_thresholds_in_one_check(org, connection, policy):
    other = another(org, "Bolt")
    key = policy(Condition.RUNS_FAILING, thresholds={Condition.RUNS_FAILING: 2})
    key.connections.set([connection])
    everyone = policy(Condition.RUNS_FAILING)
    bolt = policy(Condition.RUNS_FAILING)
    bolt.merchants.set([other.merchant])
    failed_runs(connection, 2)  # enough for "key" (2 runs), not for the default 3
    failed_runs(other, 3)

    assert evaluate_alerts()["opened"] == 3
    opened = sorted((a.policy_id, a.connection_id) for a in Alert.objects.all())
    assert opened == sorted([(key.id, connection.id), (everyone.id, other.id), (bolt.id, other.id)])


class SilentServer:
    """A loopback port that accepts connections and never says a word (a hung FTP server)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        self.sock.setblocking(False)
        n = 0
        while True:
            try:
                self.sock.accept()[0].close()
            except BlockingIOError:
                return n
            n += 1


@pytest.fixture
def silent():
    servers = []

    def make() -> SilentServer:
        servers.append(SilentServer())
        return servers[-1]

    yield make
    for server in servers:
        server.sock.close()


def waiting_file(connection, port: int) -> None:
    warehouse = connection.warehouse
    warehouse.credentials = {"host": "127.0.0.1", "port": port, "username": "dockline", "password": "pw"}
    warehouse.save()
    record = ExchangeRecord.objects.create(warehouse=warehouse, direction=Direction.OUT, kind=ExchangeKind.ORDERS,
                                           filename=f"ORD_{connection.id}.xml", checksum=f"{connection.id}", size=8)
    record.move_to(ExchangeState.SENT)


def test_a_hung_warehouse_server_is_listed_once_per_quarter_hour_within_the_check_budget_and_the_other_conditions_go_on(
        org, connection, policy, silent, monkeypatch):
    monkeypatch.setattr(inbox, "TIMEOUT", 0.3)
    monkeypatch.setattr(inbox, "BUDGET", 0.2)  # room for one listing per check
    servers = [silent(), silent()]
    other = another(org, "Bolt")
    for c, server in zip([connection, other], servers, strict=True):
        waiting_file(c, server.port)
    connection.store_auth_error = "Refused (401)."
    connection.save()
    policy(Condition.FILES_NOT_TAKEN, Condition.REAUTH)
    later = timezone.now() + timedelta(hours=2, minutes=1)

    evaluate_alerts(later)
    assert [s.connections() for s in servers] in ([1, 0], [0, 1])  # the second waits for the next check
    reauth = Alert.objects.get(condition=Condition.REAUTH)
    assert reauth.title == "Acme connection: the store needs re-authorization"
    (files,) = Alert.objects.filter(condition=Condition.FILES_NOT_TAKEN)
    assert "could not check whether 1 order file" in files.title and "Listing its inbox" in files.detail

    evaluate_alerts(later + timedelta(minutes=1))
    evaluate_alerts(later + timedelta(minutes=2))
    assert sum(s.connections() for s in servers) == 1  # the other one now; the first not again within 15 minutes
    assert Alert.objects.filter(condition=Condition.FILES_NOT_TAKEN).count() == 2
    assert Alert.objects.get(condition=Condition.REAUTH).seen == 3
