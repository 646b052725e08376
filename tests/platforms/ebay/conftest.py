"""Fixtures for the eBay connector tests: a running sandbox, a connector pointed at it, and validators
built from eBay's OpenAPI contracts in ../shared/specs/ebay (read at test time, never copied)."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from dockline.platforms.ebay import EbayConnector
from dockline.sandbox.ebay import EbaySandbox

SPEC_FILES = {"/sell/fulfillment/v1": "sell_fulfillment_v1_oas3.json", "/sell/inventory/v1": "sell_inventory_v1_oas3.json"}


class _Req:
    """httpx.Request as an openapi-core Request."""

    def __init__(self, r: httpx.Request):
        self.host_url = f"{r.url.scheme}://{r.url.netloc.decode()}"
        self.path = r.url.path
        self.method = r.method.lower()
        self.body = r.content or None
        self.content_type = r.headers.get("content-type", "")
        self.parameters = RequestParameters(query=ImmutableMultiDict(list(r.url.params.multi_items())),
                                            header=Headers(list(r.headers.items())))


class _Resp:
    def __init__(self, r: httpx.Response):
        self.status_code = r.status_code
        self.headers = Headers(list(r.headers.items()))
        self.content_type = r.headers.get("content-type", "")
        self.data = r.content


def strict(node):
    """The contract with `additionalProperties: false` on every object schema that lists its properties
    (eBay's schemas mark nothing required and allow anything else, so a misspelt field would pass)."""
    if isinstance(node, dict):
        if node.get("type") == "object" and isinstance(node.get("properties"), dict) \
                and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node


# Answers the contracts list without a body schema, and the schema their body has in eBay's docs.
UNDOCUMENTED_BODIES = {
    (207, "/bulk_update_price_quantity"): "BulkPriceQuantityResponse",
}


class Contracts:
    """openapi-core objects for both contracts (strict), servers rewritten to any loopback sandbox."""

    def __init__(self, specs: Path):
        self.apis, self.raw = {}, {}
        for base, name in SPEC_FILES.items():
            spec = strict(json.loads((specs / name).read_text(encoding="utf-8")))
            spec["servers"] = [{"url": "http://127.0.0.1:{port}" + base, "variables": {"port": {"default": "80"}}}]
            self.raw[base] = spec
            self.apis[base] = OpenAPI.from_dict(spec)

    def schema(self, base: str, name: str, instance) -> None:
        from openapi_schema_validator import OAS30Validator

        components = self.raw[base]["components"]
        OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": components}).validate(instance)

    def validate(self, request: httpx.Request, response: httpx.Response) -> None:
        base = next(b for b in self.apis if request.url.path.startswith(b))
        api = self.apis[base]
        # The contracts' oauth2 scheme is not checked by openapi-core: check the bearer token here.
        assert request.headers.get("Authorization", "").startswith("Bearer ")
        api.validate_request(_Req(request))
        api.validate_response(_Req(request), _Resp(response))
        if response.status_code >= 400:  # error answers: {"errors": [Error]}, as eBay documents them
            body = response.json()
            assert set(body) == {"errors"} and body["errors"]
            for error in body["errors"]:
                self.schema(base, "Error", error)
        named = next((n for (status, end), n in UNDOCUMENTED_BODIES.items()
                      if status == response.status_code and request.url.path.endswith(end)), None)
        if named:
            self.schema(base, named, response.json())


class Recorder:
    """Keeps every request/response pair a connector's API client sends (not the token requests)."""

    def __init__(self, conn: EbayConnector):
        self.pairs: list[tuple[httpx.Request, httpx.Response]] = []
        conn.client.http.event_hooks["response"] = [self._hook]

    def _hook(self, response: httpx.Response) -> None:
        response.read()
        self.pairs.append((response.request, response))

    def bodies(self, method: str, path_end: str) -> list:
        return [json.loads(rq.content) for rq, _ in self.pairs if rq.method == method and rq.url.path.endswith(path_end)]


@pytest.fixture(scope="session")
def contracts(shared_specs) -> Contracts:
    return Contracts(shared_specs("ebay"))


@pytest.fixture
def sandbox():
    sb = EbaySandbox().start()
    yield sb
    sb.stop()


class Clock:
    """A wall clock the test moves (time.time() at the start)."""

    def __init__(self):
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def connector_for():
    """Factory: a connector for a sandbox whose waits are recorded, not slept (closed at teardown)."""
    made = []

    def factory(sb: EbaySandbox, credentials: dict | None = None, settings: dict | None = None, **kwargs):
        slept = []
        conn = EbayConnector({**sb.credentials, **(credentials or {})}, {**sb.settings, **(settings or {})},
                             sleep=kwargs.pop("sleep", slept.append), **kwargs)
        conn.slept = slept
        made.append(conn)
        return conn

    yield factory
    for conn in made:
        conn.close()


@pytest.fixture
def connector(sandbox, connector_for):
    return connector_for(sandbox)


@pytest.fixture
def recorder():
    return Recorder


@pytest.fixture
def ebay_world(transactional_db):
    """A whole demo world (store, warehouse, connection) selling on the eBay sandbox."""
    from dockline.sandbox import demo

    world = demo.build(intervals=demo.demo_intervals(3600), platform="ebay", ship_delay=0.0, partial_rate=0.0)
    yield world
    world.stop()
