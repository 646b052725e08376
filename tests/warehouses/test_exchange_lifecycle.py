"""Exchange records move only along the table for their direction; anything else is refused and changes nothing."""
import pytest

from dockline.accounts.models import Organization
from dockline.warehouses.exchange_status import (
    RETRYABLE,
    STARTS,
    TRANSITIONS,
    InvalidExchangeTransition,
    check_transition,
)
from dockline.warehouses.models import Direction, ExchangeKind, ExchangeRecord, ExchangeState, Warehouse

pytestmark = pytest.mark.django_db
E = ExchangeState


@pytest.fixture
def warehouse():
    org = Organization.objects.create(name="Riverside Fulfillment")
    return Warehouse.objects.create(organization=org, name="Riverside 3PL", credentials={"host": "127.0.0.1"})


def _record(warehouse, direction, state, kind=ExchangeKind.ORDERS, name="ord_1001.csv") -> ExchangeRecord:
    """A record in `state`, put there the way the table allows from a state it can start in."""
    start = state if state in STARTS[direction] else E.PENDING
    record = ExchangeRecord.objects.create(warehouse=warehouse, direction=direction, kind=kind, filename=name,
                                           checksum="0" * 64, size=3, content=b"abc", state=start)
    if state != start:
        path = {E.SENT: [E.SENT], E.ACKNOWLEDGED: [E.SENT, E.ACKNOWLEDGED], E.REJECTED: [E.SENT, E.REJECTED],
                E.PROCESSED: [E.PROCESSED]}[state]
        for step in path:
            record.move_to(step)
    return record


def _moves():
    for direction, table in TRANSITIONS.items():
        for current, allowed in table.items():
            for new in E:
                yield direction, current, new, new in allowed


def test_every_move_the_table_allows_is_saved(warehouse):
    allowed = [(d, c, n) for d, c, n, ok in _moves() if ok]
    assert len(allowed) == 12
    for direction, current, new in allowed:
        record = _record(warehouse, direction, current)
        record.move_to(new, error="why" if new in (E.REJECTED, E.ERROR) else None)
        record.refresh_from_db()
        assert record.state == new, (direction, current, new)


def test_a_move_the_table_forbids_raises_and_leaves_the_record_as_it_was(warehouse):
    forbidden = [(d, c, n) for d, c, n, ok in _moves() if not ok]
    assert len(forbidden) == 44
    for direction, current, new in forbidden:
        record = _record(warehouse, direction, current)
        with pytest.raises(InvalidExchangeTransition, match="cannot go from"):
            record.move_to(new, error="should not be kept")
        record.refresh_from_db()
        assert record.state == current and record.error != "should not be kept", (direction, current, new)


def test_a_received_file_is_never_sent_nor_acknowledged_and_a_sent_file_never_processed():
    for state in (E.SENT, E.ACKNOWLEDGED, E.REJECTED):
        with pytest.raises(InvalidExchangeTransition, match="received file cannot go from Pending"):
            check_transition(Direction.IN, E.PENDING, state)
    for state in (E.PROCESSED, E.DUPLICATE, E.ERROR):
        with pytest.raises(InvalidExchangeTransition, match="sent file cannot go from Pending"):
            check_transition(Direction.OUT, E.PENDING, state)
    states_of = {d: set(table) | set().union(*table.values()) for d, table in TRANSITIONS.items()}
    assert states_of[Direction.OUT] & states_of[Direction.IN] == {E.PENDING}


def test_a_file_to_send_starts_pending_and_a_received_file_cannot_start_as_sent(warehouse):
    def create(direction, state):
        ExchangeRecord.objects.create(warehouse=warehouse, direction=direction, kind=ExchangeKind.SHIPMENTS,
                                      filename="shp_1.csv", checksum="", size=0, content=b"", state=state)

    with pytest.raises(InvalidExchangeTransition, match="sent file cannot start as Duplicate"):
        create(Direction.OUT, E.DUPLICATE)
    with pytest.raises(InvalidExchangeTransition, match="received file cannot start as Sent"):
        create(Direction.IN, E.SENT)
    assert not ExchangeRecord.objects.exists()


def test_the_bulk_move_skips_a_record_another_run_moved_already(warehouse):
    waiting = _record(warehouse, Direction.OUT, E.PENDING, kind=ExchangeKind.ACKS, name="997_1.x12")
    acknowledged = _record(warehouse, Direction.OUT, E.ACKNOWLEDGED, kind=ExchangeKind.ACKS, name="997_2.x12")
    both = ExchangeRecord.objects.filter(pk__in=[waiting.pk, acknowledged.pk])

    assert both.move(Direction.OUT, E.PENDING, E.SENT) == 1
    assert dict(both.values_list("filename", "state")) == {"997_1.x12": E.SENT, "997_2.x12": E.ACKNOWLEDGED}
    with pytest.raises(InvalidExchangeTransition, match="cannot go from Sent to Pending"):
        both.move(Direction.OUT, E.SENT, E.PENDING)
    assert ExchangeRecord.objects.get(pk=waiting.pk).state == E.SENT


def test_only_a_pending_or_rejected_sent_file_and_a_received_file_in_error_may_be_tried_again(warehouse):
    assert RETRYABLE == {Direction.OUT: {E.PENDING, E.REJECTED}, Direction.IN: {E.ERROR}}
    assert _record(warehouse, Direction.OUT, E.REJECTED).retryable
    assert not _record(warehouse, Direction.OUT, E.ACKNOWLEDGED, name="ord_2.csv").retryable
    assert not _record(warehouse, Direction.IN, E.PROCESSED, kind=ExchangeKind.SHIPMENTS).retryable


def test_kinds_keep_the_values_stored_before_they_became_choices():
    assert {k.value for k in ExchangeKind} >= {"orders", "shipments", "inventory", "acks"}
    assert ExchangeKind.CANCELLATIONS == "cancellations"  # added with cancellation files
    assert ExchangeRecord._meta.get_field("kind").choices == ExchangeKind.choices
