"""What a run reads once instead of per order: an organization's event endpoints (`alerts/events.py`).

The endpoints are kept for a few seconds within a run: an endpoint saved or deleted in this process
counts at once, one changed by another process within `FRESH_FOR`, and one deleted meanwhile never
breaks the publishing of an event."""
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from dockline.accounts.models import Organization
from dockline.alerts import events
from dockline.alerts.models import Delivery, Endpoint


def _endpoint(org, name, **fields):
    return Endpoint.objects.create(organization=org, name=name, url=f"https://{name}.example/hooks",
                                   secrets={"secret": "s"}, **fields)


def _endpoint_queries(queries) -> int:
    return sum('FROM "alerts_endpoint"' in q["sql"] for q in queries)


def test_an_organization_without_endpoints_costs_one_query_per_run_not_one_per_event(transactional_db):
    org = Organization.objects.create(name="Riverside")
    with CaptureQueriesContext(db) as queries, events.endpoints_read_once():
        published = [events.publish(org.id, events.ORDER_IMPORTED, {}) for _ in range(20)]
    assert published == [None] * 20
    assert _endpoint_queries(queries.captured_queries) == 1 and len(queries.captured_queries) == 1


def test_an_endpoint_added_during_a_run_gets_the_runs_next_events(transactional_db):
    org = Organization.objects.create(name="Riverside")
    with events.endpoints_read_once():
        assert events.publish(org.id, events.ORDER_SENT, {}) is None
        ops = _endpoint(org, "ops")
        event = events.publish(org.id, events.ORDER_SENT, {})
    assert event is not None and list(Delivery.objects.filter(event=event).values_list("endpoint", flat=True)) == [ops.id]


def test_an_endpoint_deleted_by_another_process_during_a_run_neither_breaks_the_run_nor_gets_a_delivery(
        transactional_db):
    org = Organization.objects.create(name="Riverside")
    ops, audit = _endpoint(org, "ops"), _endpoint(org, "audit")
    with events.endpoints_read_once():
        events.publish(org.id, events.ORDER_SENT, {})
        with db.cursor() as cursor:  # as another process would: no signal here
            cursor.execute('DELETE FROM "alerts_delivery" WHERE "endpoint_id" = %s', [ops.id])
            cursor.execute('DELETE FROM "alerts_endpoint" WHERE "id" = %s', [ops.id])
        event = events.publish(org.id, events.ORDER_SENT, {"file": "1001.xml"})
    assert list(Delivery.objects.filter(event=event).values_list("endpoint", flat=True)) == [audit.id]


def test_an_endpoint_switched_on_by_another_process_counts_once_the_kept_read_is_older_than_fresh_for(
        transactional_db, monkeypatch):
    org = Organization.objects.create(name="Riverside")
    ops = _endpoint(org, "ops", enabled=False)
    with events.endpoints_read_once():
        assert events.publish(org.id, events.ORDER_SENT, {}) is None
        Endpoint.objects.filter(pk=ops.pk).update(enabled=True)  # an update sends no signal, as in another process
        assert events.publish(org.id, events.ORDER_SENT, {}) is None, "kept for FRESH_FOR seconds"
        monkeypatch.setattr(events, "FRESH_FOR", 0.0)
        assert events.publish(org.id, events.ORDER_SENT, {}) is not None
