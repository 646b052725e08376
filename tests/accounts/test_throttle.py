"""Failed logins are counted where every process sees them, per user and address."""
import shutil
import socket
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model

from dockline.accounts import throttle

pytestmark = pytest.mark.django_db(transaction=True)

FAIL_FIVE = """
from dockline.accounts import throttle
for _ in range(throttle.MAX_FAILURES):
    throttle.record_failure("Alice", "203.0.113.9")
"""
LOOK = """
from dockline.accounts import throttle
print(throttle.locked("alice", "203.0.113.9"), throttle.locked("alice", "198.51.100.7"))
"""


def test_failures_counted_in_one_process_lock_out_the_login_in_another(fresh_home):
    fresh_home(FAIL_FIVE)
    assert fresh_home(LOOK) == "True False"


def test_two_processes_failing_at_once_lose_no_count(fresh_home):
    code = ("import django; django.setup()\nfrom dockline.accounts import throttle\n"
            "for _ in range(10): throttle.record_failure('bob', '203.0.113.9')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], env=fresh_home.env) for _ in range(2)]
    assert [p.wait(120) for p in procs] == [0, 0]
    assert fresh_home("from dockline.accounts import throttle\n"
                      "print(throttle.counts().get(throttle._user_key('bob', '203.0.113.9')))") == "20"


def test_an_attacker_at_one_address_does_not_lock_the_user_out_at_another(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from dockline.accounts.models import Organization

    Organization.objects.create(name="ACME")
    get_user_model().objects.create_user("alice", password="the-right-one-1")
    for _ in range(throttle.MAX_FAILURES):
        client.post("/login/", {"username": "alice", "password": "guess"}, REMOTE_ADDR="203.0.113.9")
    attacker = client.post("/login/", {"username": "alice", "password": "the-right-one-1"}, REMOTE_ADDR="203.0.113.9")
    assert "Too many failed attempts" in attacker.content.decode()
    response = client.post("/login/", {"username": "alice", "password": "the-right-one-1"}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(client, settings):
    from dockline.accounts.models import Organization

    Organization.objects.create(name="ACME")
    get_user_model().objects.create_user("alice", password="the-right-one-1")
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # an untrusted peer claiming to be someone else is counted under its own address
    for n in range(throttle.MAX_FAILURES):
        client.post("/login/", {"username": "alice", "password": "guess"}, REMOTE_ADDR="203.0.113.9",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert throttle.locked("alice", "203.0.113.9")
    # behind the trusted proxy each client is itself
    for _ in range(throttle.MAX_FAILURES):
        client.post("/login/", {"username": "alice", "password": "guess"}, REMOTE_ADDR="10.1.2.3",
                    HTTP_X_FORWARDED_FOR="192.0.2.50")
    assert throttle.locked("alice", "192.0.2.50") and not throttle.locked("alice", "10.1.2.3")


@pytest.fixture
def redis_url():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def test_with_redis_storage_the_counts_live_in_redis(settings, redis_url):
    settings.LOGIN_THROTTLE_STORAGE = redis_url
    for _ in range(throttle.MAX_FAILURES):
        throttle.record_failure("carol", "203.0.113.9")
    assert throttle.locked("carol", "203.0.113.9") and not throttle.locked("carol", "198.51.100.7")
    import redis

    assert int(redis.Redis.from_url(redis_url).get("dockline:login-fail:user:carol@203.0.113.9")) == 5
    throttle.clear("carol", "203.0.113.9")
    assert not throttle.locked("carol", "203.0.113.9")
