"""Fixtures for the BigCommerce connector tests: a running sandbox, a connector
pointed at it, and validators built from the official specs in
../shared/specs/bigcommerce beside the repository (read at test time, never copied).

The project runs pytest with --import-mode=importlib, so helpers reach the
test modules as fixtures rather than imports."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from dockline.platforms.bigcommerce import BigCommerceConnector
from dockline.sandbox.bigcommerce import BigCommerceSandbox

SPEC_FILES = {
    "v2": "orders.v2.oas2.yml",
    "inventory": "inventory.v3.yml",
    "catalog": "products_catalog.v3.yml",
    "variants": "product-variants_catalog.v3.yml",
    "webhooks": "webhooks.v3.yml",
}


def tracking_carrier_values(specs: Path) -> set[str]:
    with open(specs / "tracking_carrier_values.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return {row[1].strip() for row in rows[1:] if len(row) > 1}


def load_spec(specs: Path, name: str) -> dict:
    with open(specs / SPEC_FILES[name], encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def strict(spec: dict) -> dict:
    """The spec with no `default` on a required parameter. openapi-core lets such a default stand in for
    a missing value, so a GET /orders/{id}/products without its required Content-Type header passed,
    where a strict store answers 422; without the defaults, a missing required header fails validation."""
    params = list((spec.get("components") or {}).get("parameters", {}).values())
    for item in spec.get("paths", {}).values():
        params += item.get("parameters", [])
        params += [p for op in item.values() if isinstance(op, dict) for p in op.get("parameters", [])]
    for param in params:
        if param.get("required") and isinstance(param.get("schema"), dict):
            param["schema"].pop("default", None)
    return spec


def make_connector(sb: BigCommerceSandbox, **settings) -> BigCommerceConnector:
    conn = BigCommerceConnector(sb.credentials, {"api_base": sb.base_url, **settings})
    conn.client.policy.backoff = 0.01  # keep retry tests fast; rate-limit waits stay real
    return conn


# ---------------------------------------------------------------- spec validation
class _Req:
    """httpx.Request as an openapi-core Request."""

    def __init__(self, r: httpx.Request):
        self.host_url = f"{r.url.scheme}://{r.url.netloc.decode()}"
        self.path = r.url.path
        self.method = r.method.lower()
        self.body = r.content or None
        self.content_type = r.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(r.url.params.multi_items())),
            header=Headers(list(r.headers.items())),
        )


class _Resp:
    def __init__(self, r: httpx.Response):
        self.status_code = r.status_code
        self.headers = Headers(list(r.headers.items()))
        self.content_type = r.headers.get("content-type", "")
        self.data = r.content


class SpecValidators:
    """openapi-core objects for each spec, servers rewritten to any loopback sandbox."""

    def __init__(self, specs: Path):
        self.apis: dict[str, OpenAPI] = {}
        self.raw: dict[str, dict] = {}
        for name in SPEC_FILES:
            spec = load_spec(specs, name)
            self.raw[name] = spec
            version = "v2" if name == "v2" else "v3"
            spec["servers"] = [{
                "url": "http://127.0.0.1:{port}/stores/{store_hash}/" + version,
                "variables": {"port": {"default": "80"}, "store_hash": {"default": "demo"}},
            }]
            self.apis[name] = OpenAPI.from_dict(strict(spec))

    @staticmethod
    def request(r: httpx.Request) -> _Req:
        return _Req(r)

    def api_for(self, path: str) -> OpenAPI:
        if "/v2/" in path:
            return self.apis["v2"]
        if "/v3/hooks" in path:
            return self.apis["webhooks"]
        if "/v3/inventory/" in path:
            return self.apis["inventory"]
        if "/v3/catalog/variants" in path or "/variants" in path:
            return self.apis["variants"]
        return self.apis["catalog"]

    def validate(self, request: httpx.Request, response: httpx.Response) -> None:
        api = self.api_for(request.url.path)
        api.validate_request(_Req(request))
        if response.status_code == 204:
            # No Content. openapi-core reads the spec's `204: content: {}` as "a body is required",
            # and GET /orders does not list its 204 at all, so check the emptiness here.
            assert response.content == b""
            return
        if request.url.path.endswith("/v3/hooks") and request.method == "GET" and response.json()["data"] == []:
            # webhooks_Resp says `data: minItems 1`, yet a store without hooks has none to list;
            # check the rest of the envelope against the spec's Pagination schema.
            from openapi_schema_validator import OAS30Validator

            components = self.raw["webhooks"]["components"]
            OAS30Validator({"$ref": "#/components/schemas/Pagination", "components": components}).validate(
                response.json()["meta"]["pagination"])
            return
        api.validate_response(_Req(request), _Resp(response))
        if "/v2/orders" in request.url.path and response.status_code == 200:
            self._validate_consignments(response.json())

    def _validate_consignments(self, body) -> None:
        """The spec's `consignments: oneOf [orderConsignments_Resource, orderConsignment_Get]` (and
        `line_items: oneOf [...]`) cannot discriminate -- both branches are open objects -- so
        openapi-core's verdict on them means nothing. Check them against the real schemas."""
        from openapi_schema_validator import OAS30Validator

        components = self.raw["v2"]["components"]

        def check(instance, schema_name):
            OAS30Validator({"$ref": f"#/components/schemas/{schema_name}", "components": components}).validate(instance)

        for order in body if isinstance(body, list) else [body]:
            cons = order.get("consignments") if isinstance(order, dict) else None
            if not isinstance(cons, dict) or "shipping" not in cons:
                continue
            check({k: v for k, v in cons.items() if k != "shipping"}, "orderConsignment_Get")
            for c in cons["shipping"]:
                check({k: v for k, v in c.items() if k != "line_items"}, "shippingConsignment_Get")
                assert isinstance(c["line_items"], list)
                for item in c["line_items"]:
                    if "quantity" in item:
                        check(item, "orderProducts")
                    else:
                        check(item, "products_Resource")


class Recorder:
    """Keeps every request/response pair a connector's httpx client sends."""

    def __init__(self, conn: BigCommerceConnector):
        self.pairs: list[tuple[httpx.Request, httpx.Response]] = []
        conn.client.http.event_hooks["response"] = [self._hook]

    def _hook(self, response: httpx.Response) -> None:
        response.read()
        self.pairs.append((response.request, response))

    def routes(self) -> set[str]:
        return {f"{rq.method} {rq.url.path}" for rq, _ in self.pairs}

    def bodies(self, method: str, path_end: str) -> list:
        return [json.loads(rq.content) for rq, _ in self.pairs if rq.method == method and rq.url.path.endswith(path_end)]


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def bigcommerce_specs(shared_specs) -> Path:
    return shared_specs("bigcommerce")


@pytest.fixture
def sandbox(carrier_values):
    sb = BigCommerceSandbox(
        store_hash="demo", access_token="sandbox-token", quota=100_000, window_seconds=30.0,
        tracking_carriers=carrier_values,
    )
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def connector(sandbox):
    conn = make_connector(sandbox)
    yield conn
    conn.close()


@pytest.fixture
def connector_for():
    """Factory: a connector for any sandbox (closed at teardown)."""
    made = []

    def factory(sb: BigCommerceSandbox, **settings) -> BigCommerceConnector:
        made.append(make_connector(sb, **settings))
        return made[-1]

    yield factory
    for conn in made:
        conn.close()


@pytest.fixture(scope="session")
def carrier_values(bigcommerce_specs) -> set[str]:
    return tracking_carrier_values(bigcommerce_specs)


@pytest.fixture(scope="session")
def v2_spec(bigcommerce_specs) -> dict:
    return load_spec(bigcommerce_specs, "v2")


@pytest.fixture(scope="session")
def spec_validators(bigcommerce_specs) -> SpecValidators:
    return SpecValidators(bigcommerce_specs)



@pytest.fixture
def recorder():
    """recorder(connector) -> Recorder keeping that connector's request/response pairs."""
    return Recorder


@pytest.fixture
def connection_stub(db, sandbox):
    """A (disabled) Dockline connection to the sandbox store, for the webhook registration calls."""
    from dockline.accounts.models import Merchant, Organization
    from dockline.connections.models import Connection, Store
    from dockline.warehouses.models import Warehouse

    org = Organization.objects.create(name="Org")
    merchant = Merchant.objects.create(organization=org, name="Merchant")
    store = Store.objects.create(organization=org, merchant=merchant, name="Shop", platform="bigcommerce",
                                 credentials=sandbox.credentials, settings={"api_base": sandbox.base_url})
    warehouse = Warehouse.objects.create(organization=org, name="WH", credentials={"host": "127.0.0.1"})
    return Connection.objects.create(organization=org, name="Shop → WH", merchant=merchant, store=store,
                                     warehouse=warehouse)
