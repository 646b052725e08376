"""eBay OAuth: the refresh token is exchanged for access tokens renewed before they end, the scopes and
marketplace are checked at setup, and a refresh token near its end is warned about before it stops working."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.ebay.client import FULFILLMENT, SCOPE_FULFILLMENT
from dockline.sandbox.ebay import EbaySandbox
from dockline.sandbox.ebay.store import EbayStore


@pytest.fixture
def clock():
    class Clock:
        def __init__(self):
            self.now = datetime.now(UTC).timestamp()

        def __call__(self) -> float:
            return self.now

    return Clock()


@pytest.fixture
def timed(clock):
    """A sandbox whose tokens live by the test's clock."""
    sb = EbaySandbox(store=EbayStore(clock=clock)).start()
    yield sb
    sb.stop()


def _token_requests(sb) -> int:
    return sum(1 for _, path, _, _ in sb.store.log if path.endswith("/oauth2/token"))


def test_the_access_token_is_renewed_before_it_ends_and_shared_through_the_stored_credentials(timed, clock,
                                                                                              connector_for):
    saved = []
    conn = connector_for(timed, clock=clock)
    conn.save_credentials = saved.append
    conn.client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert _token_requests(timed) == 1
    first = saved[-1]["access_token"]
    clock.now += 7200 - 400  # 400 s left: still used
    conn.client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert _token_requests(timed) == 1
    clock.now += 200  # 200 s left, inside the margin: renewed while the old one still works
    assert timed.store.scopes_of(first["access_token"]) is not None
    conn.client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert _token_requests(timed) == 2 and saved[-1]["access_token"] != first
    assert saved[-1]["access_token"]["expires_at"] == pytest.approx(clock.now + 7200)
    # another worker built from the stored credentials uses that token without asking eBay again
    other = connector_for(timed, credentials=saved[-1], clock=clock)
    other.client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert _token_requests(timed) == 2


def test_a_token_ebay_revoked_early_is_renewed_once_and_the_call_goes_through(sandbox, connector):
    connector.client.get(FULFILLMENT + "/order", {"limit": "1"})
    sandbox.store.access_tokens.clear()
    assert connector.client.get(FULFILLMENT + "/order", {"limit": "1"})["total"] == 0
    assert _token_requests(sandbox) == 2


def test_the_refresh_tokens_end_is_stored_when_the_merchant_did_not_enter_it(sandbox, connector_for):
    saved = []
    conn = connector_for(sandbox)
    conn.save_credentials = saved.append
    assert conn.test_connection().ok
    expected = (datetime.now(UTC) + timedelta(days=548)).date().isoformat()
    assert saved[-1]["refresh_token_expires"] == expected
    assert sandbox.refresh_token not in repr(conn) and sandbox.store.client_secret not in repr(conn)


def test_a_refresh_token_ending_within_30_days_is_warned_about_while_it_still_works(sandbox, connector_for, caplog):
    ends = (datetime.now(UTC) + timedelta(days=12)).date().isoformat()
    conn = connector_for(sandbox, credentials={"refresh_token_expires": ends})
    report = conn.test_connection()
    assert report.ok  # it still works...
    step = next(s for s in report.steps if s.name == "Authorization lifetime")
    assert step.detail.startswith("Warning:") and ends in step.detail and "consent again" in step.detail
    assert ends in conn.reauthorization_warning()  # ...and the engine and alerts can read it
    with caplog.at_level(logging.WARNING, logger="dockline.platforms.ebay.connector"):
        list(conn.fetch_orders(None))
    assert any(ends in r.getMessage() and "consent again" in r.getMessage() for r in caplog.records)
    later = (datetime.now(UTC) + timedelta(days=200)).date().isoformat()
    assert connector_for(sandbox, credentials={"refresh_token_expires": later}).reauthorization_warning() is None


def test_setup_names_the_scope_the_merchants_consent_lacks(sandbox, connector_for):
    token = sandbox.store.grant(scopes=[SCOPE_FULFILLMENT])
    report = connector_for(sandbox, credentials={"refresh_token": token}).test_connection()
    assert not report.ok
    scopes = next(s for s in report.steps if s.name == "Scopes")
    assert not scopes.ok and "Inventory" in scopes.detail and "sell.inventory" in scopes.detail
    assert "sell.fulfillment " not in scopes.detail and "consent again" in scopes.detail


def test_a_refresh_token_ebay_no_longer_accepts_needs_the_merchants_consent_again(sandbox, connector_for):
    token = sandbox.store.grant(life=-1)  # ended
    conn = connector_for(sandbox, credentials={"refresh_token": token})
    report = conn.test_connection()
    assert not report.ok and "invalid_grant" in report.steps[0].detail and "consent again" in report.steps[0].detail
    with pytest.raises(ConnectorError) as raised:
        list(conn.fetch_orders(None))
    assert raised.value.kind is ErrorKind.REAUTH and token not in raised.value.message


def test_wrong_app_keys_and_an_unknown_marketplace_are_named_at_setup(sandbox, connector_for):
    report = connector_for(sandbox, credentials={"client_secret": "PRD-wrong"}).test_connection()
    assert not report.ok and "Cert ID" in report.steps[0].detail and "PRD-wrong" not in report.steps[0].detail
    report = connector_for(sandbox, settings={"marketplace_id": "EBAY_XX"}).test_connection()
    step = next(s for s in report.steps if s.name == "Marketplace")
    assert not report.ok and not step.ok and "EBAY_US" in step.detail
    report = connector_for(sandbox).test_connection()
    assert report.ok and [s.name for s in report.steps] == ["Refresh token", "Scopes", "Marketplace",
                                                            "Authorization lifetime"]


def test_a_worker_renewing_its_token_never_overwrites_a_newer_consent(sandbox, connector_for):
    saved = []
    conn = connector_for(sandbox)
    conn.save_credentials = saved.append
    newer = {**sandbox.credentials, "refresh_token": sandbox.store.grant(), "refresh_token_expires": "2028-06-01"}
    conn.load_credentials = lambda: newer  # the merchant consented again while this worker ran
    conn.client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert saved == []
    conn.load_credentials = lambda: {**sandbox.credentials, "ru_name": "Added-Meanwhile"}
    conn.client.renew(force=True)
    assert saved[-1]["ru_name"] == "Added-Meanwhile" and saved[-1]["access_token"]["access_token"]


def test_an_access_token_kept_for_another_refresh_token_is_not_used(sandbox, connector_for):
    saved = []
    conn = connector_for(sandbox)
    conn.save_credentials = saved.append
    conn.client.get(FULFILLMENT + "/order", {"limit": "1"})
    pasted = {**saved[-1], "refresh_token": sandbox.store.grant()}  # a person pasted a new refresh token
    connector_for(sandbox, credentials=pasted).client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert _token_requests(sandbox) == 2
    connector_for(sandbox, credentials=saved[-1]).client.get(FULFILLMENT + "/order", {"limit": "1"})
    assert _token_requests(sandbox) == 2  # its own is still good


def test_an_expiry_date_that_cannot_be_read_is_named_at_setup(sandbox, connector_for):
    report = connector_for(sandbox, credentials={"refresh_token_expires": "06/01/2028"}).test_connection()
    step = report.steps[-1]
    assert not report.ok and step.name == "Authorization lifetime" and "'06/01/2028' is not a date" in step.detail
