"""Run the `dockline` command in a new process on a fresh DOCKLINE_HOME."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def dockline(tmp_path_factory):
    """`dockline(*args, env={...}, input=...)` -> CompletedProcess; one home per test module."""
    home = tmp_path_factory.mktemp("home")
    base = {**os.environ, "DOCKLINE_HOME": str(home), "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    for name in ("DOCKLINE_CREDENTIAL_KEYS", "SECRET_KEY", "DOCKLINE_ADMIN_PASSWORD", "DOCKLINE_USER_PASSWORD",
                 "DJANGO_SETTINGS_MODULE"):
        base.pop(name, None)

    def run(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dockline.cli", *args], env={**base, **(env or {})},
                              input=input, capture_output=True, text=True, timeout=120)

    def python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], env={**base, **(env or {})},
                              capture_output=True, text=True, timeout=120)

    run.home, run.python = home, python
    return run
