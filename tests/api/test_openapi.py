"""The OpenAPI document: served, kept in step with docs/api/openapi.json, and fuzzed by schemathesis."""
import itertools
import json
import re
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.api.conftest import make_order

from dockline.alerts.models import Alert, AlertPolicy
from dockline.alerts.status import Condition
from dockline.api.export import schema_text
from dockline.api.keys import issue_key

DOCS_COPY = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"
REGENERATE = "DJANGO_SETTINGS_MODULE=dockline.settings PYTHONPATH=src python -m dockline.api.export docs/api/openapi.json"
EXAMPLES = 4  # per operation and mode (valid, invalid): the whole run stays under half a minute
CHECKS = [not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def test_the_schema_copy_in_docs_matches_the_served_schema(client, db):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert json.loads(DOCS_COPY.read_text(encoding="utf-8")) == served.json() == json.loads(schema_text()), (
        f"docs/api/openapi.json is out of date; regenerate it with:\n    {REGENERATE}")
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.content.decode())
    assert assets and all(a.startswith("/static/") for a in assets), assets  # no CDN: the CSP allows only 'self'


@pytest.fixture
def api_schema(tenants):
    """The live schema, called in this process: requests do not close the test's database connection
    (as with Django's test client)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(tenants, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    make_order(tenants["acme"], "A-1", status="error")
    make_order(tenants["manual"], "M-1")
    policy = AlertPolicy.objects.create(organization=tenants["org"], name="Ops")
    Alert.objects.create(policy=policy, organization=tenants["org"], connection=tenants["acme"],
                         condition=Condition.ORDERS_IN_ERROR, cause="orders_in_error:1", title="1 order in Error")
    return {"Authorization": f"Bearer {issue_key(tenants['org'], 'fuzz', writable=True)[1]}"}


def test_every_operation_answers_as_its_schema_says(api_schema, bearer):
    """schemathesis generates requests for each operation from the live schema and checks every answer."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    for operation, mode in itertools.product(operations, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=bearer, checks=CHECKS)

        check()
