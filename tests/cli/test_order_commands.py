"""`dockline import-orders` (backfill), `orders`, `connections` and `export orders`, run in this process."""
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from django.contrib.auth import get_user_model
from tests.api.conftest import make_connection, make_order

from dockline.accounts.models import Membership, Organization
from dockline.commands import backfill, export
from dockline.commands import connections as connection_commands
from dockline.commands import orders as order_commands
from dockline.connections.models import ChannelKind
from dockline.orders.models import Order
from dockline.sandbox.bigcommerce import BigCommerceSandbox


def run(module, *args):
    result = CliRunner().invoke(module.command(lambda: None), list(args), catch_exceptions=False)
    return result


@pytest.fixture
def store_sandbox():
    sb = BigCommerceSandbox(store_hash="demo", access_token="sandbox-token", quota=100_000, window_seconds=30.0)
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def connection(db, store_sandbox):
    conn = make_connection(Organization.objects.create(name="Riverside"), "Acme")
    conn.store.credentials = store_sandbox.credentials
    conn.store.settings = {"api_base": store_sandbox.base_url}
    conn.store.save()
    return conn


def test_a_backfill_imports_old_orders_once_and_leaves_the_import_cursor_alone(connection, store_sandbox):
    now = datetime.now(UTC)
    for days in (90, 60, 30):
        store_sandbox.store.place_order([("MUG", 1)], placed_at=now - timedelta(days=days))
    channel = connection.channels.get(kind=ChannelKind.ORDERS)
    channel.cursor = {"modified_since": now.isoformat()}
    channel.save()
    since = (now - timedelta(days=75)).date().isoformat()
    first = run(backfill, "--connection", str(connection.id), "--since", since, "--json")
    assert json.loads(first.output) == {"connection": connection.id, "fetched": 2, "new": 2}
    again = run(backfill, "--connection", str(connection.id), "--since", since, "--json")
    assert json.loads(again.output)["new"] == 0
    assert Order.objects.count() == 2
    channel.refresh_from_db()
    assert channel.cursor == {"modified_since": now.isoformat()}
    wider = run(backfill, "--connection", str(connection.id), "--since", (now - timedelta(days=100)).date().isoformat())
    assert "3 order(s)" in wider.output and "1 new" in wider.output and Order.objects.count() == 3


def test_connections_test_reports_each_step_and_fails_on_a_bad_token(connection, store_sandbox):
    assert run(connection_commands, "test", str(connection.id)).exit_code == 0
    connection.store.credentials = {**store_sandbox.credentials, "access_token": "wrong"}
    connection.store.save()
    result = run(connection_commands, "test", str(connection.id), "--json")
    assert result.exit_code == 1 and json.loads(result.output)["ok"] is False


def test_orders_commands_act_through_the_same_actions_and_say_what_was_refused(db):
    conn = make_connection(Organization.objects.create(name="Riverside"), "Acme")
    stuck, closed = make_order(conn, "1001", status="error"), make_order(conn, "1002", status="closed")
    listed = json.loads(run(order_commands, "list", "--status", "error", "--json").output)
    assert [o["number"] for o in listed] == ["1001"]
    result = run(order_commands, "reset", str(stuck.id), str(closed.id), "--json")
    assert result.exit_code == 1
    done, refused = json.loads(result.output)
    assert done["done"] and done["status"] == "new" and not refused["done"] and "Closed" in refused["refused"]
    shown = json.loads(run(order_commands, "show", str(stuck.id), "--json").output)
    assert "(command line)" in shown["activity"][-1]["actor"]
    assert run(connection_commands, "sync", str(conn.id)).exit_code == 1  # disabled: refused in words


def test_export_orders_writes_a_csv_a_spreadsheet_cannot_run(db, tmp_path):
    conn = make_connection(Organization.objects.create(name="Riverside"), "Acme")
    make_order(conn, "=HYPERLINK(1)")
    target = tmp_path / "orders.csv"
    result = run(export, "orders", "--format", "csv", "--output", str(target), "--json")
    assert json.loads(result.output)["orders"] == 1
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["Order", "Store", "Placed (UTC)"] and rows[1][0] == "'=HYPERLINK(1)"


def test_the_cli_export_gives_the_rows_the_dashboard_export_gives_for_the_same_filter(db, client, tmp_path):
    org = Organization.objects.create(name="Riverside")
    conn = make_connection(org, "Acme")
    admin = get_user_model().objects.create_user("admin", password="x")
    Membership.objects.create(user=admin, organization=org, role="admin")
    client.force_login(admin)
    now = datetime.now(UTC)
    for n, status in enumerate(["open", "open", "error", "open"]):
        make_order(conn, f"10{n}", placed_at=now - timedelta(days=n), status=status)
    make_order(conn, "-1+1", placed_at=now - timedelta(days=9), status="open")
    since = (now - timedelta(days=20)).date().isoformat()
    target = tmp_path / "orders.csv"
    run(export, "orders", "--status", "open", "--since", since, "--output", str(target))
    dashboard = b"".join(client.get(f"/orders/export.csv?status=open&since={since}").streaming_content).decode()
    cli = target.read_bytes().decode()
    assert cli == dashboard
    assert [row[0] for row in csv.reader(io.StringIO(cli))][1:] == ["100", "101", "103", "'-1+1"]


def test_orders_cancel_with_json_says_what_each_order_became_and_fails_when_one_is_refused(db):
    conn = make_connection(Organization.objects.create(name="Riverside"), "Acme")
    new, sent, shipped = (make_order(conn, "1001"), make_order(conn, "1002", status="open"),
                          make_order(conn, "1003", status="shipped"))
    result = run(order_commands, "cancel", str(new.id), str(sent.id), str(shipped.id), "--json")
    assert result.exit_code == 1
    canceled, requested, refused = json.loads(result.output)
    assert (canceled["status"], requested["status"]) == ("canceled", "cancel_requested")
    assert not refused["done"] and "Shipped" in refused["refused"]
    assert "(command line)" in Order.objects.get(pk=new.pk).activity.last().actor


def test_dockline_version_names_the_installed_version():
    from importlib.metadata import version

    from dockline.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"dockline {version('dockline')}"
