"""Scale-out tests need PostgreSQL and a Celery broker: `make test` runs them in its second pass."""
import pytest
from django.conf import settings
from django.db import connection


@pytest.fixture
def postgres_and_broker(transactional_db):
    if connection.vendor != "postgresql" or not settings.BROKER_URL:
        pytest.fail("scale tests need DATABASE_URL=postgres://... and BROKER_URL (run them through `make test`)")
    return connection.settings_dict
