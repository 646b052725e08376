"""A short seeded set of fault trials (bench/chaos.py runs a thousand): no order lost or sent twice,
no shipment posted twice, the store's stock the warehouse's, nothing stuck without a reason shown.

A failure names its seed; replay it with `bench/chaos.py --seed N --trials 1`.
"""
import pytest

from dockline.sandbox.chaos import DEFAULT_KINDS, SLOW_WRITE, run_trial

pytestmark = pytest.mark.integration

SEEDS = [3, 5, 8, 13, 21, 28, 34, 55, 89, 144]


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the demo admin's, unused


@pytest.mark.parametrize("seed", SEEDS)
def test_no_order_is_lost_or_sent_twice_and_no_shipment_posted_twice_whatever_fails(transactional_db, seed):
    verdict = run_trial(seed)
    assert verdict.ok, verdict.describe() + f" -- replay: bench/chaos.py --seed {seed} --trials 1"
    assert sum(verdict.faults.values()) > 0


def test_writing_files_slowly_in_place_is_a_fault_kind_that_stays_off_by_default():
    assert SLOW_WRITE not in DEFAULT_KINDS
