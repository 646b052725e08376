"""`dockline demo --check`: the whole flow, scheduler and threads included, ends with both sides agreeing."""
import os
import subprocess
import sys


def test_demo_check_passes_for_30_orders(tmp_path):
    env = {**os.environ, "DOCKLINE_HOME": str(tmp_path)}
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "BROKER_URL"):  # the demo runs on the embedded default
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "dockline.cli", "demo", "--check", "--orders", "30", "--timeout", "120"],
        capture_output=True, text=True, env=env, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed: 30 orders: 30 reached the warehouse (0 more than once)" in result.stdout
    assert "30 closed" in result.stdout
