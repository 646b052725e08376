"""`dockline demo --check` with the warehouse on SFTP speaking X12: 940s, 945s, 846s and 997s both ways."""
import os
import re
import subprocess
import sys


def test_demo_check_passes_over_sftp_in_x12(tmp_path):
    env = {**os.environ, "DOCKLINE_HOME": str(tmp_path)}
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "BROKER_URL"):  # the demo runs on the embedded default
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "dockline.cli", "demo", "--check", "--orders", "20", "--timeout", "90",
         "--transport", "sftp", "--format", "x12"],
        capture_output=True, text=True, env=env, timeout=150,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed: 20 orders: 20 reached the warehouse (0 more than once)" in result.stdout
    assert "(0 twice), 20 closed" in result.stdout
    acks = re.search(r"warehouses: 2, sftp \+ x12, 997s: (\d+) from the warehouses for (\d+) order files, "
                     r"(\d+) from Dockline", result.stdout)
    assert acks, result.stdout
    assert int(acks.group(1)) == int(acks.group(2)) >= 20  # one 997 for each 940 taken (a split order sends two)
    assert int(acks.group(3)) > 0  # Dockline acknowledged the warehouses' 945s and 846s
