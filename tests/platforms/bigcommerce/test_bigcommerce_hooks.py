"""Registering Dockline's order hooks on enable, repairing them, and removing them on disable."""
from __future__ import annotations

import logging

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.webhooks.services import SECRET_HEADER

PUBLIC = "https://dockline.example"


def _arm_on_post(sandbox, status: int) -> None:
    app, original = sandbox.app, sandbox.app.dispatch

    def dispatch(request):
        if request.method == "POST":
            app.dispatch = original
            sandbox.faults.fail_next(1, status=status)
        return original(request)

    app.dispatch = dispatch


def test_enable_registers_both_hooks_once_and_repairs_a_deactivated_one(sandbox, connector, connection_stub):
    ids = connector.on_enable(connection_stub, public_url=PUBLIC)
    hooks = sandbox.store.hooks
    assert sorted(h["scope"] for h in hooks.values()) == ["store/order/created", "store/order/statusUpdated"]
    assert {h["destination"] for h in hooks.values()} == {f"{PUBLIC}/hooks/bigcommerce/{connection_stub.id}/"}
    secret = connection_stub.webhook_endpoint.secret
    assert all(h["headers"] == {SECRET_HEADER: secret} for h in hooks.values())

    hooks[int(ids[0])]["is_active"] = False  # BigCommerce deactivates hooks that keep failing
    assert connector.on_enable(connection_stub, public_url=PUBLIC) == ids
    assert len(hooks) == 2 and all(h["is_active"] for h in hooks.values())

    assert connector.on_disable(connection_stub, public_url=PUBLIC) == 2
    assert hooks == {}


def test_a_refused_hook_leaves_polling_on(sandbox, connector, connection_stub, caplog):
    _arm_on_post(sandbox, 422)
    with caplog.at_level(logging.WARNING):
        ids = connector.on_enable(connection_stub, public_url=PUBLIC)
    assert len(ids) == 1 and len(sandbox.store.hooks) == 1
    assert "polling only" in caplog.text and connection_stub.webhook_endpoint.secret not in caplog.text


def test_a_rejected_token_stops_the_enabling(sandbox, connector, connection_stub):
    sandbox.app.access_token = "rotated"
    with pytest.raises(ConnectorError) as err:
        connector.on_enable(connection_stub, public_url=PUBLIC)
    assert err.value.kind is ErrorKind.REAUTH
