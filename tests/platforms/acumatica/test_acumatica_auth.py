"""OAuth 2 against the sandbox: one session reused, refresh rotation stored, and every refusal explained."""
import logging

import pytest

from dockline.core.errors import ConnectorError, ErrorKind


def test_signs_in_once_and_later_runs_reuse_the_stored_session(sandbox, connect):
    sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    first = connect()
    assert len(list(first.fetch_orders(None))) == 1
    saved = first.saved[-1]
    assert saved["token"]["refresh_token"] and saved["password"] == sandbox.password

    for _ in range(3):  # later runs build their connector from the stored credentials
        assert len(list(connect(saved).fetch_orders(None))) == 1
    assert sandbox.instance.stats.password_grants == 1
    assert sandbox.instance.stats.sessions_opened == 1


def test_refresh_rotation_stores_the_newest_token_and_the_old_one_dies(sandbox, connect):
    connector = connect()
    list(connector.fetch_orders(None))
    old = connector.saved[-1]["token"]
    sandbox.instance.expire_access_tokens()

    later = connect(connector.saved[-1])
    list(later.fetch_orders(None))
    new = later.saved[-1]["token"]
    assert new["refresh_token"] != old["refresh_token"] and new["access_token"] != old["access_token"]
    assert sandbox.instance.stats.refreshes == 1 and sandbox.instance.stats.password_grants == 1
    from dockline.sandbox.acumatica.instance import OAuthError

    with pytest.raises(OAuthError):  # rotation: the old refresh token is spent
        sandbox.instance.grant({"grant_type": "refresh_token", "refresh_token": old["refresh_token"],
                                "client_id": sandbox.client_id, "client_secret": sandbox.credentials["client_secret"]})


def test_a_run_holding_stale_credentials_takes_over_the_rotated_session(sandbox, connect):
    first = connect()
    list(first.fetch_orders(None))
    stale = first.saved[-1]
    sandbox.instance.expire_access_tokens()
    list(connect(stale).fetch_orders(None))  # rotates the refresh token
    list(connect(stale).fetch_orders(None))  # a concurrent run built before the rotation
    assert sandbox.instance.stats.refreshes == 1 and sandbox.instance.stats.password_grants == 1


def test_a_token_ended_early_is_renewed_once_with_the_refresh_token(sandbox, connect):
    connector = connect()
    list(connector.fetch_orders(None))
    sandbox.instance.tokens.clear()  # e.g. the session was closed on the server
    assert list(connector.fetch_orders(None)) == []
    assert sandbox.instance.stats.refreshes == 1


def test_expired_secret_needs_reauthorization_with_the_reason_and_an_error_log(sandbox, connect, caplog):
    connector = connect()
    list(connector.fetch_orders(None))
    sandbox.instance.expire_secret(sandbox.client_id)
    sandbox.instance.expire_access_tokens()
    with caplog.at_level(logging.ERROR), pytest.raises(ConnectorError) as caught:
        list(connect(connector.saved[-1]).fetch_orders(None))
    assert caught.value.kind == ErrorKind.REAUTH
    assert "Shared Secret" in caught.value.message and "expired" in caught.value.message
    assert any(r.levelno == logging.ERROR and "re-authorization" in r.getMessage() for r in caplog.records)
    secret = sandbox.credentials["client_secret"]
    assert all(secret not in r.getMessage() and sandbox.password not in r.getMessage() for r in caplog.records)
    assert secret not in repr(connector) and sandbox.password not in repr(connector)


def _token_requests(sandbox):
    return len([p for m, p in sandbox.instance.stats.requests if p == "/identity/connect/token"])


def test_a_refresh_token_past_its_30_days_leads_to_a_silent_sign_in_with_the_stored_password(
        sandbox, connect, clock):
    connector = connect()
    list(connector.fetch_orders(None))
    clock.advance(days=29)  # access token long expired: refreshed, and the chain keeps its first issue date
    day29 = connect(connector.saved[-1])
    list(day29.fetch_orders(None))
    assert sandbox.instance.stats.refreshes == 1 and sandbox.instance.stats.password_grants == 1

    clock.advance(days=2)  # 31 days after the first sign-in: the rotated refresh token is refused too
    day31 = connect(day29.saved[-1])
    sandbox.instance.place_order([("A", 1)], "UPSGROUND")
    assert len(list(day31.fetch_orders(None))) == 1  # no re-authorization asked of anyone
    assert sandbox.instance.stats.password_grants == 2
    saved = day31.saved[-1]
    assert "reauth" not in saved and saved["token"]["refresh_token"] != day29.saved[-1]["token"]["refresh_token"]
    assert len(list(connect(saved).fetch_orders(None))) == 1 and sandbox.instance.stats.password_grants == 2


def test_a_refused_refresh_and_a_refused_password_stop_until_credentials_are_entered_again(sandbox, connect):
    connector = connect()
    list(connector.fetch_orders(None))
    sandbox.instance.revoke_refresh_tokens()
    sandbox.instance.expire_access_tokens()
    sandbox.instance.users[sandbox.username]["password"] = "changed-in-acumatica"
    stored = connect(connector.saved[-1])
    with pytest.raises(ConnectorError) as caught:
        list(stored.fetch_orders(None))
    assert caught.value.kind == ErrorKind.REAUTH and "re-authorize" in caught.value.message
    assert sandbox.username in caught.value.message
    refused = stored.saved[-1]
    assert "token" not in refused and refused["reauth"]

    asked = _token_requests(sandbox)
    with pytest.raises(ConnectorError) as again:  # a refused password is not tried again every run
        list(connect(refused).fetch_orders(None))
    assert again.value.kind == ErrorKind.REAUTH and _token_requests(sandbox) == asked

    retyped = {k: v for k, v in refused.items() if k != "reauth"} | {"password": "changed-in-acumatica"}
    assert list(connect(retyped).fetch_orders(None)) == []
    assert sandbox.instance.stats.password_grants == 2


def test_test_connection_reauthorizes_a_refused_connection(sandbox, connect):
    connector = connect()
    list(connector.fetch_orders(None))
    sandbox.instance.revoke_refresh_tokens()
    sandbox.instance.expire_access_tokens()
    sandbox.instance.disable_user(sandbox.username)
    stored = connect(connector.saved[-1])
    with pytest.raises(ConnectorError):
        list(stored.fetch_orders(None))
    sandbox.instance.disable_user(sandbox.username, enabled=True)  # the administrator enables the user again
    checker = connect(stored.saved[-1])
    report = checker.test_connection()
    assert report.ok, report.steps
    assert "reauth" not in checker.saved[-1] and checker.saved[-1]["token"]
    assert list(connect(checker.saved[-1]).fetch_orders(None)) == []


def test_test_connection_names_the_host_and_the_cause_when_nothing_listens(connect, sandbox):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = connect({**sandbox.credentials, "instance_url": f"http://127.0.0.1:{port}"}).test_connection()
    assert not report.ok
    assert report.steps[0].detail == (f"Cannot reach Acumatica at 127.0.0.1:{port}: the connection was refused "
                                      "(nothing is listening at that address and port).")


def test_disabled_user_and_wrong_password_need_reauthorization(sandbox, connect):
    sandbox.instance.disable_user(sandbox.username)
    with pytest.raises(ConnectorError) as caught:
        list(connect().fetch_orders(None))
    assert caught.value.kind == ErrorKind.REAUTH and sandbox.username in caught.value.message
    report = connect({**sandbox.credentials, "password": "wrong"}).test_connection()
    assert not report.ok and "invalid_grant" in report.steps[0].detail


def test_login_limit_waits_and_never_opens_more_sessions(sandbox, connect):
    sandbox.instance.max_sessions = 1
    other = sandbox.instance.grant({"grant_type": "password", "client_id": sandbox.client_id,
                                    "client_secret": sandbox.credentials["client_secret"],
                                    "username": sandbox.username, "password": sandbox.password, "scope": "api"})
    sandbox.instance.authenticate(other["access_token"])  # someone else holds the only API user slot
    slept = []
    for _ in range(3):
        with pytest.raises(ConnectorError) as caught:
            list(connect(sleep=slept.append).fetch_orders(None))
        assert caught.value.kind == ErrorKind.RATE_LIMITED and caught.value.retry_after == 60
        assert "login limit" in caught.value.message
    assert slept == []  # a minute is the engine's to wait, not the worker's
    assert sandbox.instance.stats.password_grants == 2  # the other session's and ours, once
    assert sandbox.instance.stats.login_limit_errors == 3

    sandbox.instance.sessions.clear()  # the other session ends
    assert list(connect().fetch_orders(None)) == []
    assert sandbox.instance.stats.password_grants == 2


def test_a_stored_token_is_not_used_once_another_user_is_entered(sandbox, connect):
    first = connect()
    list(first.fetch_orders(None))
    sandbox.instance.add_user("other", "other-password")
    other = connect({**first.saved[-1], "username": "other", "password": "other-password"})
    list(other.fetch_orders(None))
    assert other.saved[-1]["token"]["access_token"] != first.saved[-1]["token"]["access_token"]
    assert sandbox.instance.tokens[other.saved[-1]["token"]["access_token"]].username == "other"
    assert sandbox.instance.stats.password_grants == 2


def test_a_worker_whose_refresh_token_was_rotated_elsewhere_reloads_it_instead_of_failing(sandbox, connect):
    from dockline.platforms.acumatica.client import forget_token

    first = connect()
    list(first.fetch_orders(None))
    stale = first.saved[-1]
    sandbox.instance.expire_access_tokens()
    rotating = connect(stale)
    list(rotating.fetch_orders(None))  # worker A rotates the refresh token and stores it
    forget_token(sandbox.base_url, sandbox.client_id, sandbox.username)  # worker B runs in another process

    late = connect(stale)
    late.load_credentials = lambda: rotating.saved[-1]
    assert list(late.fetch_orders(None)) == []
    assert sandbox.instance.stats.refreshes == 1 and sandbox.instance.stats.password_grants == 1

    forget_token(sandbox.base_url, sandbox.client_id, sandbox.username)
    assert list(connect(stale).fetch_orders(None)) == []  # no way to reload: it signs in with the password
    assert sandbox.instance.stats.password_grants == 2
