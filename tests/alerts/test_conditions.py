"""The other conditions, each with time moved forward: what opens an alert and what does not."""
from datetime import timedelta

from django.utils import timezone

from dockline.alerts.models import Alert
from dockline.alerts.services import evaluate_alerts, send_digests
from dockline.alerts.status import Condition
from dockline.connections.models import ChannelKind, Side
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.sandbox.ftpserver import LoopbackFtpServer
from dockline.sync.models import SyncRun
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState
from dockline.webhooks.models import WebhookDelivery


def runs(connection, kind: ChannelKind, outcomes: list[bool], side: str = ""):
    channel = connection.channels.get(kind=kind)
    now = timezone.now()
    for i, ok in enumerate(outcomes):  # in order, just before now (and after any earlier call's runs)
        SyncRun.objects.create(channel=channel, started_at=now - timedelta(microseconds=len(outcomes) - i),
                               finished_at=now,
                               ok=ok, error="" if ok else "Cannot reach the warehouse at 127.0.0.1: refused.",
                               side="" if ok else side)


def titles() -> list[str]:
    return sorted(Alert.objects.values_list("title", flat=True))


def test_two_failed_runs_do_not_alert_and_the_third_does(connection, policy):
    policy(Condition.RUNS_FAILING)
    runs(connection, ChannelKind.SHIPMENTS, [True, False, False])
    evaluate_alerts()
    assert titles() == []
    runs(connection, ChannelKind.SHIPMENTS, [False])
    evaluate_alerts()
    assert titles() == ["Acme connection: the shipments channel failed 3 runs in a row"]
    assert "Cannot reach the warehouse" in Alert.objects.get().detail


def test_stock_pushes_failing_at_the_store_alert_but_failures_at_the_warehouse_do_not(connection, policy):
    policy(Condition.STOCK_PUSH_FAILING)
    runs(connection, ChannelKind.INVENTORY, [False, False], side=Side.WAREHOUSE)
    evaluate_alerts()
    assert titles() == []
    runs(connection, ChannelKind.INVENTORY, [False, False], side=Side.STORE)
    evaluate_alerts()
    assert titles() == ["Acme connection: stock pushes to Acme store failed 2 times in a row"]


def test_orders_not_sent_within_four_hours_of_import_alert(connection, policy):
    policy(Condition.NOT_SENT)
    now = timezone.now()
    Order.objects.create(connection=connection, store=connection.store, external_id="1", number="1001",
                         status=OrderStatus.QUEUED, placed_at=now, store_modified_at=now)
    assert evaluate_alerts(now + timedelta(hours=3, minutes=59))["opened"] == 0
    assert evaluate_alerts(now + timedelta(hours=4, minutes=1))["opened"] == 1
    assert "not sent to the warehouse within 4 hours" in titles()[0]


def test_no_inventory_file_for_a_day_alerts_and_a_new_file_clears_it(connection, policy):
    policy(Condition.NO_INVENTORY, auto_close_hours=1)
    now = timezone.now()
    assert evaluate_alerts(now + timedelta(hours=23))["opened"] == 0
    assert evaluate_alerts(now + timedelta(hours=24, minutes=1))["opened"] == 1
    ExchangeRecord.objects.create(warehouse=connection.warehouse, direction=Direction.IN, kind=ExchangeKind.INVENTORY,
                                  filename="stock.csv", checksum="1" * 64, size=1).move_to(ExchangeState.PROCESSED)
    ExchangeRecord.objects.update(created_at=now + timedelta(hours=25))
    assert evaluate_alerts(now + timedelta(hours=26, minutes=2))["closed"] == 1


def test_store_webhooks_that_stopped_while_orders_keep_coming_by_polling_alert(connection, policy):
    policy(Condition.WEBHOOKS_STOPPED)
    WebhookDelivery.objects.create(connection=connection, payload_hash="h", verified=True)
    now = timezone.now()
    assert evaluate_alerts(now + timedelta(hours=7))["opened"] == 0  # quiet, but no orders either
    Order.objects.create(connection=connection, store=connection.store, external_id="1", number="1001",
                         placed_at=now, store_modified_at=now)
    Order.objects.update(created_at=now + timedelta(hours=5))
    assert evaluate_alerts(now + timedelta(hours=7))["opened"] == 1
    assert "came by polling only" in Alert.objects.get().detail


def test_an_ebay_refresh_token_ending_within_30_days_alerts(connection, policy):
    policy(Condition.CREDENTIAL_EXPIRING)
    store = connection.store
    store.platform = "ebay"
    ends = timezone.now() + timedelta(days=12)
    store.credentials = {"client_id": "c", "client_secret": "s", "refresh_token": "r",
                         "refresh_token_expires": ends.isoformat()}
    store.save()
    evaluate_alerts()
    alert = Alert.objects.get()
    assert alert.title == "Acme connection: Acme store's authorization is about to end"
    assert f"ends on {ends:%Y-%m-%d}" in alert.detail


def test_an_order_file_still_in_the_inbox_after_two_hours_alerts(connection, policy, tmp_path):
    policy(Condition.FILES_NOT_TAKEN)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ORD_1001.xml").write_bytes(b"<order/>")  # still there: the warehouse never took it
    with LoopbackFtpServer(tmp_path, password="pw") as ftp:
        warehouse = connection.warehouse
        warehouse.credentials = {"host": "127.0.0.1", "port": ftp.port, "username": "dockline", "password": "pw"}
        warehouse.save()
        for name in ("ORD_1001.xml", "ORD_1002.xml"):  # ORD_1002 was taken
            record = ExchangeRecord.objects.create(warehouse=warehouse, direction=Direction.OUT,
                                                   kind=ExchangeKind.ORDERS, filename=name, checksum=name, size=8)
            record.move_to(ExchangeState.SENT)
        evaluate_alerts(timezone.now() + timedelta(hours=2, minutes=1))
    alert = Alert.objects.get()
    assert alert.count == 1 and alert.detail == "ORD_1001.xml: they are still in its inbox."


def test_the_daily_summary_is_off_by_default_and_sent_once_a_day_when_on(connection, policy, smtp):
    quiet = policy(Condition.REAUTH)
    connection.store_auth_error = "Refused."
    connection.save()
    now = timezone.now()
    evaluate_alerts(now)
    assert send_digests(now) == 0
    quiet.digest = True
    quiet.save()
    assert send_digests(now) == 1 and send_digests(now + timedelta(hours=23)) == 0
    assert send_digests(now + timedelta(hours=24)) == 1
    summary = smtp.messages[-1].content.decode()
    assert "Daily alert summary" in summary and "the store needs re-authorization" in summary


def test_an_acumatica_shared_secret_expiring_within_14_days_alerts_with_its_date(connection, policy):
    policy(Condition.CREDENTIAL_EXPIRING)
    store = connection.store
    store.platform = "acumatica"
    ends = (timezone.now() + timedelta(days=9)).date()
    store.credentials = {"instance_url": "https://acme.acumatica.com", "client_id": "c@Acme", "client_secret": "s",
                         "username": "u", "password": "p", "client_secret_expires": ends.isoformat()}
    store.save()
    evaluate_alerts()
    assert f"The Acumatica Shared Secret expires on {ends:%Y-%m-%d} (in 9 days)" in Alert.objects.get().detail
    store.credentials = {**store.credentials, "client_secret_expires": (ends + timedelta(days=30)).isoformat()}
    store.save()
    assert evaluate_alerts(timezone.now() + timedelta(hours=25))["closed"] == 1  # renewed: it closes itself
