"""Fixtures for the Amazon tests: a running sandbox, a connector pointed at it, Amazon's own
models (Swagger 2.0, converted to OpenAPI 3 for openapi-core) and a check of every exchange
the sandbox saw against them."""
from __future__ import annotations

import json
import re

import pytest

from dockline.platforms.amazon import AmazonConnector
from dockline.sandbox.amazon import AmazonSandbox

MODELS = ("orders_2026-01-01.json", "ordersV0.json", "tokens_2021-03-01.json", "listingsItems_2021-08-01.json",
          "feeds_2021-06-30.json")
# Swagger 2.0 keywords of a non-body parameter that are JSON Schema keywords in OpenAPI 3.
SCHEMA_KEYS = ("type", "format", "items", "enum", "default", "minimum", "maximum", "minItems", "maxItems",
               "minLength", "maxLength", "pattern", "uniqueItems")


def _refs(node):
    """Every `#/definitions/X` reference as `#/components/schemas/X`."""
    if isinstance(node, dict):
        return {k: (v.replace("#/definitions/", "#/components/schemas/") if k == "$ref" and isinstance(v, str)
                    else _refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_refs(v) for v in node]
    return node


def _parameter(param: dict) -> dict:
    schema = {k: param[k] for k in SCHEMA_KEYS if k in param}
    out = {"name": param["name"], "in": param["in"], "required": bool(param.get("required")), "schema": schema}
    if param.get("type") == "array":
        fmt = param.get("collectionFormat", "csv")  # Swagger 2's default
        out.update({"csv": {"style": "form", "explode": False}, "multi": {"style": "form", "explode": True}}[fmt])
    return out


def swagger_to_openapi(spec: dict) -> dict:
    """Swagger 2.0 -> OpenAPI 3.0.3, as far as these models use it: definitions, path/query/header
    parameters (csv arrays: form, not exploded), body parameters, response schemas and headers."""
    consumes, produces = spec.get("consumes", ["application/json"]), spec.get("produces", ["application/json"])
    paths = {}
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        paths[path] = {}
        for method, op in item.items():
            if method == "parameters":
                continue
            params = {(p["name"], p["in"]): p for p in [*shared, *op.get("parameters", [])]}
            new = {"operationId": op["operationId"], "responses": {},
                   "parameters": [_parameter(p) for p in params.values() if p["in"] != "body"]}
            body = next((p for p in params.values() if p["in"] == "body"), None)
            if body:
                new["requestBody"] = {"required": bool(body.get("required")),
                                      "content": {t: {"schema": body["schema"]} for t in op.get("consumes", consumes)}}
            for status, response in op["responses"].items():
                out = {"description": response.get("description", "")}
                if "schema" in response:
                    out["content"] = {t: {"schema": response["schema"]} for t in op.get("produces", produces)}
                if response.get("headers"):
                    out["headers"] = {n: {"schema": {k: h[k] for k in SCHEMA_KEYS if k in h}}
                                      for n, h in response["headers"].items()}
                new["responses"][status] = out
            paths[path][method] = new
    return _refs({"openapi": "3.0.3", "info": spec["info"], "servers": [{"url": "/"}], "paths": paths,
                  "components": {"schemas": spec.get("definitions", {})}})


@pytest.fixture(scope="session")
def models(shared_specs):
    """operationId -> (model file, OpenAPI object) for every operation of Amazon's models."""
    from openapi_core import OpenAPI

    found = {}
    for name in MODELS:
        spec = json.loads((shared_specs("amazon") / name).read_text())
        api = OpenAPI.from_dict(swagger_to_openapi(spec))
        for item in spec["paths"].values():
            for method, op in item.items():
                if method != "parameters":
                    found.setdefault(op["operationId"], (name, api))  # getOrder: v2026 before v0
    return found


def check_against_models(sandbox: AmazonSandbox, models: dict) -> int:
    """Validate every request and answer the sandbox saw of a modelled operation; returns how many."""
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request, Response

    checked, problems = 0, []
    for ex in list(sandbox.app.exchanges):
        if ex.operation not in models:
            continue  # LWA, the Sellers API and the presigned URLs are not in the models
        name, api = models[ex.operation]
        request = Request(EnvironBuilder(method=ex.method, path=ex.path, query_string=ex.query, data=ex.body or None,
                                         content_type=ex.content_type or None,
                                         base_url="http://sandbox").get_environ())
        response = Response(ex.answer, status=ex.status, mimetype=ex.answer_type or None)
        sent = WerkzeugOpenAPIRequest(request)
        for what, check, args in (("request", api.validate_request, (sent,)),
                                  ("answer", api.validate_response, (sent, WerkzeugOpenAPIResponse(response)))):
            try:
                check(*args)
            except Exception as exc:  # noqa: BLE001 - collected for the assertion message
                detail = re.sub(r"\s+", " ", "; ".join(str(e) for e in getattr(exc, "schema_errors", None)
                                                        or [exc.__cause__ or exc]))
                problems.append(f"{ex.operation} {what} ({name}): {exc} {detail[:400]}")
        checked += 1
    assert not problems, "\n".join(problems)
    return checked


@pytest.fixture
def model_check(models):
    """model_check(sandbox) -> how many exchanges matched Amazon's models (fails on the first that does not)."""
    return lambda sandbox: check_against_models(sandbox, models)


@pytest.fixture
def sandbox():
    sb = AmazonSandbox(rate_scale=1000.0)
    for sku, title, price in (("WIDGET-1", "Widget", "9.99"), ("GADGET-2", "Gadget", "24.50")):
        sb.seller.add_listing(sku, title, price)
    sb.seller.add_listing("FBA-3", "Gizmo (FBA)", "5.00", channel="AMAZON")
    with sb:
        yield sb


@pytest.fixture
def connector(sandbox):
    conn = AmazonConnector(sandbox.credentials, sandbox.settings, sleep=lambda seconds: None)
    yield conn
    conn.close()


@pytest.fixture
def amazon_world(transactional_db):
    from dockline.sandbox import demo

    world = demo.build(intervals=demo.demo_intervals(3600), platform="amazon", ship_delay=0.0, partial_rate=0.0)
    yield world
    world.stop()


@pytest.fixture
def org(db):
    from dockline.accounts.models import Organization

    return Organization.objects.create(name="Riverside Fulfillment")


@pytest.fixture
def login_as(client, org):
    """login_as(role): a signed-in member of `org` (as tests/web does)."""
    from django.contrib.auth import get_user_model

    from dockline.accounts.models import Membership

    def login(role: str):
        user = get_user_model().objects.create_user(f"user-{role}", password="pw-long-enough-1")
        Membership.objects.create(user=user, organization=org, role=role)
        client.force_login(user)
        return user

    return login
