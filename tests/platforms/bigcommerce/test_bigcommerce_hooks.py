"""Registering Dockline's order hooks on enable, repairing them, and removing them on disable; and
saying why webhooks are off when BigCommerce cannot deliver to Dockline's public address."""
from __future__ import annotations

import logging

import httpx
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
    assert connector.on_enable(connection_stub, public_url=PUBLIC) == ""
    hooks = sandbox.store.hooks
    assert sorted(h["scope"] for h in hooks.values()) == ["store/order/created", "store/order/statusUpdated"]
    assert {h["destination"] for h in hooks.values()} == {f"{PUBLIC}/hooks/bigcommerce/{connection_stub.id}/"}
    secret = connection_stub.webhook_endpoint.secret
    assert all(h["headers"] == {SECRET_HEADER: secret} for h in hooks.values())
    ids = sorted(hooks)

    hooks[ids[0]]["is_active"] = False  # BigCommerce deactivates hooks that keep failing
    assert connector.on_enable(connection_stub, public_url=PUBLIC) == ""
    assert sorted(hooks) == ids and all(h["is_active"] for h in hooks.values())

    assert connector.on_disable(connection_stub, public_url=PUBLIC) == 2
    assert hooks == {}


@pytest.mark.parametrize("public_url", [
    "http://127.0.0.1:8000", "https://dockline.example:8443", "http://dockline.example",
])
def test_an_address_bigcommerce_cannot_deliver_to_registers_nothing_and_says_why(
        sandbox, connector, connection_stub, public_url):
    note = connector.on_enable(connection_stub, public_url=public_url)
    assert note.startswith("Webhooks are off: BigCommerce delivers them only to https addresses on port 443")
    assert f"(DOCKLINE_PUBLIC_URL) is {public_url}." in note and "enable the connection again" in note
    assert sandbox.store.hooks == {} and sandbox.stats.count("POST /v3/hooks") == 0


def test_port_443_stated_outright_is_accepted(sandbox, connector, connection_stub):
    assert connector.on_enable(connection_stub, public_url="https://dockline.example:443") == ""
    assert len(sandbox.store.hooks) == 2


def test_the_sandbox_refuses_such_a_destination_as_the_spec_describes(sandbox, connector, recorder, spec_validators):
    rec = recorder(connector)
    with pytest.raises(ConnectorError) as err:
        connector.client.post("/v3/hooks", {"scope": "store/order/created", "destination": "http://127.0.0.1:8000/h/"})
    assert err.value.kind is ErrorKind.FATAL and "443" in err.value.message
    request, response = rec.pairs[-1]
    assert response.status_code == 422
    spec_validators.validate(request, response)  # the spec's 422_UnprocessableEntity (errorDetailed_Full)
    bent = httpx.Response(422, json={**response.json(), "status": "422"}, request=request)
    with pytest.raises(Exception):  # noqa: B017 - the validation above is not vacuous
        spec_validators.validate(request, bent)


def test_a_refused_hook_leaves_polling_on_and_says_so(sandbox, connector, connection_stub, caplog):
    _arm_on_post(sandbox, 422)
    with caplog.at_level(logging.WARNING):
        note = connector.on_enable(connection_stub, public_url=PUBLIC)
    assert len(sandbox.store.hooks) == 1
    assert note.startswith("Webhooks are partly off: BigCommerce refused to send them to ")
    assert "store/order/created" in note
    secret = connection_stub.webhook_endpoint.secret
    assert "polling only" in caplog.text and secret not in caplog.text and secret not in note


def test_a_rejected_token_stops_the_enabling(sandbox, connector, connection_stub):
    sandbox.app.access_token = "rotated"
    with pytest.raises(ConnectorError) as err:
        connector.on_enable(connection_stub, public_url=PUBLIC)
    assert err.value.kind is ErrorKind.REAUTH
