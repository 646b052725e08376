"""`dockline serve` is gunicorn, with the scheduler once per install beside it."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[2] / "src"


def _worker_pids(output: str) -> list[int]:
    return [int(p) for p in re.findall(r"Booting worker with pid: (\d+)", output)]


def test_serve_answers_from_gunicorn_and_runs_the_scheduler_once_beside_its_workers(serve):
    served = serve(DOCKLINE_WEB_WORKERS="2", DOCKLINE_WEB_THREADS="4", DOCKLINE_WEB_TIMEOUT="20")
    response = httpx.get(served.url + "/login/")
    assert "werkzeug" not in response.headers.get("server", "").lower()
    assert response.headers["server"] == "gunicorn"
    assert response.status_code == 302 and response.headers["location"] == "/setup/"  # fresh install
    assert "No organization yet" in served.output() and "/setup/" in served.output()
    workers = _worker_pids(served.output())
    assert len(workers) == 2 and served.proc.pid not in workers
    # a web worker that dies is replaced; the scheduler is not started again
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while len(_worker_pids(served.output())) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_worker_pids(served.output())) == 3
    assert httpx.get(served.url + "/setup/").status_code == 200
    schedulers = re.findall(r"Scheduler \S+ runs the jobs of this install in process (\d+)", served.output())
    assert schedulers == [str(served.proc.pid)]
    assert served.stop() == 0
    assert not any(_alive(pid) for pid in _worker_pids(served.output()))


def test_the_setup_code_printed_by_serve_creates_the_first_administrator_once(serve):
    served = serve()
    token = re.search(r"enter the setup code\s+(\S+)", served.output()).group(1)
    with httpx.Client(base_url=served.url) as client:
        page = client.get("/setup/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        form = {"csrfmiddlewaretoken": csrf, "token": token, "organization": "ACME", "username": "alice",
                "email": "", "password1": "a-Long-passphrase-9", "password2": "a-Long-passphrase-9"}
        done = client.post("/setup/", data=form)
        assert done.status_code == 302 and done.headers["location"] == "/"
        assert "alice" in client.get("/").text
    again = httpx.get(served.url + "/setup/")
    assert again.status_code == 302 and again.headers["location"] == "/login/"


def test_gunicorn_stops_when_dockline_serve_is_killed(serve):
    served = serve(DOCKLINE_WEB_WORKERS="1")
    master = int(re.search(r"Listening at: \S+ \((\d+)\)", served.output()).group(1))
    served.proc.kill()
    served.proc.wait()
    deadline = time.monotonic() + 20
    while _alive(master) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(master), "gunicorn outlived dockline serve"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" not in f.read()
    except FileNotFoundError:
        return False


SAVE_WITH_ANOTHER_KEY = """
import django, os; os.environ["DJANGO_SETTINGS_MODULE"] = "dockline.settings"; django.setup()
from django.core.management import call_command; call_command("migrate", verbosity=0)
from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Store
org = Organization.objects.create(name="ACME"); m = Merchant.objects.create(organization=org, name="Acme")
Store.objects.create(organization=org, merchant=m, name="Acme store", platform="bigcommerce",
                     credentials={"store_hash": "abc", "access_token": "secret-token"})
"""


def test_serve_says_at_start_up_which_secrets_its_keys_cannot_open_and_keeps_serving(tmp_path, serve):
    from cryptography.fernet import Fernet

    home = tmp_path / "home"
    env = {**os.environ, "DOCKLINE_HOME": str(home), "PYTHONPATH": str(SRC),
           "DOCKLINE_CREDENTIAL_KEYS": Fernet.generate_key().decode()}
    made = subprocess.run([sys.executable, "-c", SAVE_WITH_ANOTHER_KEY], env=env, capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    served = serve()  # with the credential.keys file it generates: not the key the store was saved with
    out = served.output()
    assert "ERROR dockline.cli: 1 stored secret cannot be decrypted" in out  # the log
    assert "store 'Acme store'" in out and "a new key was just generated" in out
    assert "secret-token" not in out
    assert httpx.get(served.url + "/login/").status_code == 200
