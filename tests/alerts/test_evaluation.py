"""Alert evaluation with time moved forward: mail through a real SMTP server, grouping, auto-close,
the ship-by promise and a warehouse that does not take our files."""
from datetime import timedelta
from email import message_from_bytes

from django.utils import timezone

from dockline.alerts.models import Alert
from dockline.alerts.services import evaluate_alerts
from dockline.alerts.status import AlertState, Condition
from dockline.orders.models import Dispatch, Order
from dockline.orders.status import OrderStatus
from dockline.shipments.models import Shipment
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState


def body(envelope) -> str:
    return message_from_bytes(envelope.content).get_payload(decode=True).decode()


def order(connection, number: str, status: OrderStatus, **fields) -> Order:
    now = timezone.now()
    return Order.objects.create(connection=connection, store=connection.store, external_id=number, number=number,
                                status=status, placed_at=now, store_modified_at=now, **fields)


def test_a_store_needing_reauthorization_is_mailed_once_with_what_happened_the_connection_what_to_do_and_a_link(
        connection, policy, smtp):
    policy(Condition.REAUTH)
    connection.store_auth_error = "BigCommerce refused Dockline's credentials (401 Unauthorized)."
    connection.save()
    assert evaluate_alerts()["opened"] == 1
    evaluate_alerts(timezone.now() + timedelta(minutes=1))  # found again: the same alert, no second mail
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["ops@riverside.example"]
    text = body(mail)
    assert "Acme connection: the store needs re-authorization" in text
    assert "Connection: Acme connection" in text
    assert "401 Unauthorized" in text
    assert "What to do: Enter working credentials for the store" in text
    assert f"https://dockline.riverside.example/connections/{connection.id}/" in text
    assert Alert.objects.get().seen == 2


def test_orders_in_error_group_into_one_alert_that_closes_itself_after_24_quiet_hours_and_says_so(
        connection, policy, smtp):
    policy(Condition.ORDERS_IN_ERROR)
    first = order(connection, "1001", OrderStatus.ERROR, error="Map SKU BLUE-MUG to a warehouse SKU.")
    now = timezone.now()
    evaluate_alerts(now)
    order(connection, "1002", OrderStatus.ERROR, error="Map SKU RED-MUG.")
    evaluate_alerts(now + timedelta(minutes=5))
    alert = Alert.objects.get()
    assert (alert.count, alert.seen, alert.title) == (2, 2, "Acme connection: 2 orders stopped in Error")
    assert len(smtp.messages) == 1  # one mail per cause, not per order or per evaluation

    Order.objects.filter(connection=connection).update(status=OrderStatus.QUEUED, error="")
    evaluate_alerts(now + timedelta(hours=23))
    assert Alert.objects.get().state == AlertState.OPEN  # quiet for less than 24 hours
    evaluate_alerts(now + timedelta(hours=24, minutes=10))
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED
    assert "not seen since" in alert.closed_reason and "24 hours without recurrence" in alert.closed_reason
    assert "Resolved: Acme connection: 2 orders stopped in Error" in body(smtp.messages[-1])

    first.status = OrderStatus.ERROR
    first.save()
    evaluate_alerts(now + timedelta(hours=25))  # it came back: a new alert, the closed one stays closed
    assert Alert.objects.filter(state=AlertState.OPEN).count() == 1 and Alert.objects.count() == 2


def test_an_order_at_the_warehouse_past_the_ship_by_days_without_a_shipment_opens_an_alert(connection, policy):
    policy(Condition.NOT_SHIPPED, thresholds={Condition.NOT_SHIPPED: 2})
    late = order(connection, "2001", OrderStatus.OPEN)
    shipped = order(connection, "2002", OrderStatus.OPEN)
    for o in (late, shipped):
        Dispatch.objects.create(order=o, warehouse=connection.warehouse, warehouse_order_number=o.number)
    Shipment.objects.create(order=shipped, warehouse=connection.warehouse, warehouse_shipment_id="S1",
                            shipped_at=timezone.now())
    now = timezone.now()
    assert evaluate_alerts(now + timedelta(days=1, hours=23))["opened"] == 0
    assert evaluate_alerts(now + timedelta(days=2, minutes=1))["opened"] == 1
    alert = Alert.objects.get()
    assert alert.count == 1 and "#2001" in alert.detail and "#2002" not in alert.detail
    assert "for more than 2 days without a shipment" in alert.title


def test_an_x12_warehouse_that_sends_no_997_for_our_file_opens_an_alert_which_closes_once_it_answers(
        connection, policy):
    policy(Condition.FILES_NOT_TAKEN)
    warehouse = connection.warehouse
    warehouse.file_format = "x12"
    warehouse.save()
    record = ExchangeRecord.objects.create(warehouse=warehouse, direction=Direction.OUT, kind=ExchangeKind.ORDERS,
                                           filename="940_000000001.x12", checksum="0" * 64, size=10,
                                           business_keys=["3001"])
    record.move_to(ExchangeState.SENT)
    now = timezone.now()
    assert evaluate_alerts(now + timedelta(hours=1))["opened"] == 0
    assert evaluate_alerts(now + timedelta(hours=2, minutes=1))["opened"] == 1
    alert = Alert.objects.get()
    assert "Warehouse Acme 3PL has not taken 1 order file after 2 hours" == alert.title
    assert "940_000000001.x12: no 997 acknowledgment came back" in alert.detail

    record.move_to(ExchangeState.ACKNOWLEDGED)
    evaluate_alerts(now + timedelta(hours=27))
    assert Alert.objects.get().state == AlertState.CLOSED


def test_a_mail_the_smtp_server_could_not_take_says_so_and_goes_at_the_next_check(connection, policy, smtp,
                                                                                  settings, closed_port):
    policy(Condition.REAUTH)
    connection.warehouse_auth_error = "The FTP server refused the login."
    connection.save()
    working = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port
    evaluate_alerts()
    assert "could not be reached" in Alert.objects.get().notify_error and not smtp.messages
    settings.EMAIL_PORT = working
    evaluate_alerts(timezone.now() + timedelta(minutes=1))
    assert Alert.objects.get().notify_error == ""
    assert "the warehouse needs re-authorization" in body(smtp.messages[0])
