"""The quantity offered to a store: never below zero, never more with a bigger buffer, more in flight or more not
sent yet."""
from hypothesis import given
from hypothesis import strategies as st

from dockline.inventory.stock import Buffer, WarehouseTerm, compute_stock

terms = st.lists(st.builds(WarehouseTerm, warehouse=st.sampled_from(["A", "B", "C"]),
                           available=st.integers(-50, 10_000), in_flight=st.integers(0, 10_000)), max_size=4)
buffers = st.builds(Buffer, amount=st.integers(0, 200), percent=st.booleans())


@given(terms, buffers, st.integers(0, 500), st.integers(0, 10_000))
def test_the_quantity_pushed_is_never_below_zero_nor_above_what_the_warehouses_can_ship(warehouses, buffer, minimum,
                                                                                         not_sent):
    result = compute_stock(warehouses, buffer, minimum, not_sent)
    assert 0 <= result.quantity <= max(sum(max(t.available - t.in_flight, 0) for t in warehouses) - not_sent, 0)


@given(terms, buffers, st.integers(0, 500), st.integers(0, 1000), st.integers(0, 100))
def test_more_units_not_sent_yet_never_offer_more(warehouses, buffer, minimum, not_sent, extra):
    assert (compute_stock(warehouses, buffer, minimum, not_sent + extra).quantity
            <= compute_stock(warehouses, buffer, minimum, not_sent).quantity)


@given(terms, st.integers(0, 200), st.integers(0, 200), st.booleans(), st.integers(0, 500))
def test_a_bigger_buffer_never_offers_more(warehouses, a, b, percent, minimum):
    small, big = sorted((a, b))
    assert (compute_stock(warehouses, Buffer(big, percent), minimum).quantity
            <= compute_stock(warehouses, Buffer(small, percent), minimum).quantity)


@given(terms, buffers, st.integers(0, 500), st.integers(0, 100))
def test_more_units_in_flight_never_offer_more(warehouses, buffer, minimum, extra):
    if not warehouses:
        return
    first, *rest = warehouses
    more = WarehouseTerm(first.warehouse, first.available, first.in_flight + extra)
    assert compute_stock([more, *rest], buffer, minimum).quantity <= compute_stock(warehouses, buffer, minimum).quantity


@given(terms, buffers, st.integers(1, 500))
def test_below_the_minimum_level_nothing_is_offered(warehouses, buffer, minimum):
    result = compute_stock(warehouses, buffer, minimum)
    assert result.quantity == 0 or result.quantity >= minimum


def test_orders_in_flight_and_a_percent_buffer_give_each_term():
    result = compute_stock([WarehouseTerm("Riverside", 100, 12), WarehouseTerm("Harbor", 5, 9)], Buffer(10, True), 3)
    assert [t.net for t in result.warehouses] == [88, 0]  # Harbor owes 4 more than it has: it adds nothing
    assert (result.available, result.in_flight, result.total) == (105, 21, 88)
    assert result.held_back == 9  # 10% of 88, rounded up: never offer a fraction of a unit more
    assert (result.quantity, result.below_minimum) == (79, False)


def test_a_unit_buffer_that_leaves_less_than_the_minimum_offers_nothing():
    result = compute_stock([WarehouseTerm("Riverside", 12, 2)], Buffer(4), minimum=10)
    assert (result.total, result.held_back, result.below_minimum, result.quantity) == (10, 4, True, 0)
