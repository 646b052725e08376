"""Order status transitions live in one table."""
import pytest

from dockline.orders.status import TRANSITIONS, InvalidTransition, check_transition
from dockline.orders.status import OrderStatus as S


def test_the_happy_path_is_allowed():
    path = [S.NEW, S.QUEUED, S.OPEN, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CLOSED]
    for current, new in zip(path, path[1:], strict=False):
        check_transition(current, new)


@pytest.mark.parametrize("current,new", [(S.CLOSED, S.OPEN), (S.NEW, S.SHIPPED), (S.OPEN, S.QUEUED),
                                         (S.SHIPPED, S.OPEN)])
def test_impossible_moves_are_refused(current, new):
    with pytest.raises(InvalidTransition, match="cannot go from"):
        check_transition(current, new)


def test_every_status_has_an_entry_and_can_be_archived_or_is_archived():
    assert set(TRANSITIONS) == set(S)
    assert all(S.ARCHIVED in TRANSITIONS[s] for s in S if s != S.ARCHIVED)


def test_a_cancelled_order_can_only_be_archived_and_is_never_reset_or_sent():
    from dockline.orders.status import RESETTABLE

    assert TRANSITIONS[S.CANCELED] == {S.ARCHIVED}
    assert S.CANCELED not in RESETTABLE
    for status in (S.NEW, S.QUEUED, S.DELAYED, S.ERROR, S.FAILED, S.PENDING):
        check_transition(status, S.CANCELED)  # before the warehouse has it, it can still be cancelled
    check_transition(S.OPEN, S.CANCELED)  # the warehouse cancelled it on its own ("cancelled at warehouse")
    for status in (S.PARTIALLY_SHIPPED, S.SHIPPED, S.CLOSED):
        with pytest.raises(InvalidTransition):  # something shipped: only the warehouse's "too late" path is left
            check_transition(status, S.CANCELED)


def test_failed_is_where_retries_end_and_it_can_be_reset():
    from dockline.orders.status import EXPLANATIONS, RESETTABLE

    check_transition(S.DELAYED, S.FAILED)
    assert S.FAILED in RESETTABLE
    assert "Retries ran out" in EXPLANATIONS[S.FAILED]
    assert "merchant or the customer" in EXPLANATIONS[S.CANCELED]
