"""Fixtures for account tests: cheap password hashing, and Dockline processes on a fresh DOCKLINE_HOME."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def fresh_home(tmp_path_factory):
    """A migrated DOCKLINE_HOME (one per test module), and `python(code)` running code in a new process on it."""
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "DOCKLINE_HOME": str(home), "PYTHONPATH": str(SRC), "DJANGO_SETTINGS_MODULE": "dockline.settings"}
    env.pop("DOCKLINE_CREDENTIAL_KEYS", None)
    env.pop("SECRET_KEY", None)

    def python(code: str) -> str:
        prelude = "import django; django.setup()\n"
        done = subprocess.run([sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    python("from django.core.management import call_command; call_command('migrate', verbosity=0)")
    python.home = home
    python.env = env
    return python
