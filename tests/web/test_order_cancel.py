"""The Cancel order button on the order page: done at once before sending, asked of the warehouse after,
refused in plain words where it cannot be done."""
from dockline.accounts.models import Role
from dockline.orders.cancel_state import CancelState


def test_cancel_from_the_order_page_cancels_an_unsent_order_and_asks_the_warehouse_for_a_sent_one(
        client, make_connection, make_order, login_as):
    conn = make_connection()
    queued = make_order(conn, "1", status="queued")
    sent = make_order(conn, "2", status="open")
    shipped = make_order(conn, "3", status="shipped")
    login_as(Role.ADMIN)

    page = client.post(f"/orders/{queued.pk}/action/", {"action": "cancel"}, follow=True).content.decode()
    assert f"#{queued.number} is now Canceled" in page
    page = client.post(f"/orders/{sent.pk}/action/", {"action": "cancel"}, follow=True).content.decode()
    assert f"#{sent.number} is now Cancel Requested" in page
    assert "Cancellation</strong> (Cancelled by a person in Dockline): To send to the warehouse" in page
    sent.refresh_from_db()
    assert sent.cancellation.state == CancelState.REQUESTED
    assert sent.activity.last().actor == "user-admin"
    page = client.post(f"/orders/{shipped.pk}/action/", {"action": "cancel"}, follow=True).content.decode()
    assert "#3 is Shipped: only orders not yet shipped can be cancelled." in page
