"""Order status transitions live in one table."""
import pytest

from dockline.orders.status import TRANSITIONS, InvalidTransition, OrderStatus as S, check_transition


def test_the_happy_path_is_allowed():
    path = [S.NEW, S.QUEUED, S.OPEN, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CLOSED]
    for current, new in zip(path, path[1:]):
        check_transition(current, new)


@pytest.mark.parametrize("current,new", [(S.CLOSED, S.OPEN), (S.NEW, S.SHIPPED), (S.OPEN, S.QUEUED),
                                         (S.SHIPPED, S.OPEN)])
def test_impossible_moves_are_refused(current, new):
    with pytest.raises(InvalidTransition, match="cannot go from"):
        check_transition(current, new)


def test_every_status_has_an_entry_and_can_be_archived_or_is_archived():
    assert set(TRANSITIONS) == set(S)
    assert all(S.ARCHIVED in TRANSITIONS[s] for s in S if s != S.ARCHIVED)
