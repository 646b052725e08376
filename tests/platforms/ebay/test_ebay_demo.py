"""`dockline demo --check --platform ebay`: orders, shipments and stock round-trip through the eBay sandbox."""
from __future__ import annotations

import os
import subprocess
import sys


def test_demo_check_passes_on_ebay(tmp_path):
    env = {**os.environ, "DOCKLINE_HOME": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "dockline.cli", "demo", "--check", "--platform", "ebay", "--orders", "20",
         "--timeout", "120"], capture_output=True, text=True, env=env, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed: 20 orders: 20 reached the warehouse (0 more than once)" in result.stdout
    assert "posted to the store (0 twice), 20 closed, stock matches for 7/7 SKUs" in result.stdout
