"""Generated keys agree across processes, files are private, unreadable secrets fail alone, rotation."""
import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from dockline.accounts import keys
from dockline.connections.models import Store
from dockline.core import crypto
from dockline.core.errors import ErrorKind

SRC = Path(__file__).resolve().parents[2] / "src"


def _start_settings(home: str, barrier, out) -> None:
    os.environ["DOCKLINE_HOME"] = home
    os.environ.pop("DOCKLINE_CREDENTIAL_KEYS", None)
    os.environ.pop("SECRET_KEY", None)
    barrier.wait()
    import importlib.util

    spec = importlib.util.spec_from_file_location("fresh_settings", SRC / "dockline" / "settings.py")
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    out.put((settings.CREDENTIAL_KEYS, settings.SECRET_KEY))


def test_processes_starting_together_on_an_empty_home_end_with_the_same_keys(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for trial in range(10):
        home = str(tmp_path / f"trial-{trial}")
        barrier, out = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_start_settings, args=(home, barrier, out)) for _ in range(4)]
        for p in procs:
            p.start()
        results = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        assert len({tuple(k) for k, _ in results}) == 1, f"trial {trial}: different credential keys"
        assert len({s for _, s in results}) == 1, f"trial {trial}: different SECRET_KEYs"
        assert sorted(os.listdir(home)) == ["credential.keys", "dockline.sqlite3", "secret.key", "static"]


def test_key_files_and_the_sqlite_database_with_its_wal_and_shm_are_private(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "DOCKLINE_HOME": str(home), "PYTHONPATH": str(SRC)}
    env.pop("DOCKLINE_CREDENTIAL_KEYS", None)
    env.pop("SECRET_KEY", None)
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dockline.settings'; django.setup()\n"
            "from django.db import connection\nc = connection.cursor(); c.execute('CREATE TABLE t (x)')\n"
            "import pathlib, stat, sys\n"
            "print(' '.join(f'{p.name}={stat.S_IMODE(p.stat().st_mode):o}' for p in sorted(pathlib.Path(sys.argv[1]).iterdir()) if p.is_file()))")
    done = subprocess.run([sys.executable, "-c", code, str(home)], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    modes = dict(item.split("=") for item in done.stdout.split())
    assert modes == {"credential.keys": "600", "dockline.sqlite3": "600", "dockline.sqlite3-shm": "600",
                     "dockline.sqlite3-wal": "600", "secret.key": "600"}
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


@pytest.fixture
def stores(db, settings):
    from dockline.accounts.models import Merchant, Organization

    org = Organization.objects.create(name="ACME")
    merchant = Merchant.objects.create(organization=org, name="Acme")
    old_key = settings.CREDENTIAL_KEYS[0]
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    lost = Store.objects.create(organization=org, merchant=merchant, name="Lost store", platform="bigcommerce",
                                credentials={"store_hash": "abc", "access_token": "t1"})
    settings.CREDENTIAL_KEYS = [old_key]
    kept = Store.objects.create(organization=org, merchant=merchant, name="Kept store", platform="bigcommerce",
                                credentials={"store_hash": "def", "access_token": "t2"})
    return lost, kept


def test_a_store_saved_with_a_missing_key_loads_as_unreadable_and_says_so_when_used(stores):
    lost, kept = stores
    loaded = {s.name: s for s in Store.objects.all()}  # listing every store does not fail
    assert crypto.unreadable(loaded["Lost store"].credentials)
    assert loaded["Kept store"].credentials["access_token"] == "t2"
    with pytest.raises(crypto.CredentialsUnreadable, match="DOCKLINE_CREDENTIAL_KEYS"):
        loaded["Lost store"].credentials.get("access_token")
    with pytest.raises(crypto.CredentialsUnreadable):
        dict(loaded["Lost store"].credentials)
    loaded["Lost store"].name = "Lost store, renamed"
    loaded["Lost store"].save()  # saving keeps the unreadable token as it was
    assert keys.unreadable_secrets() == ["store 'Lost store, renamed' (#%d)" % lost.pk]
    problems = keys.start_up_problems()
    assert "1 stored secret cannot be decrypted" in problems[0] and "Lost store" in problems[0]
    assert "t1" not in " ".join(problems)


def test_rotate_keys_moves_every_secret_to_the_newest_key_and_a_rerun_has_nothing_to_do(stores, settings):
    lost, kept = stores
    first = keys.rotate_keys()
    assert (first.rotated, first.current, len(first.unreadable)) == (0, 1, 1)
    new = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [new, *settings.CREDENTIAL_KEYS]
    second = keys.rotate_keys()
    assert (second.rotated, second.current) == (1, 0)
    settings.CREDENTIAL_KEYS = [new]  # the old key is gone: the rotated store still opens
    assert Store.objects.get(pk=kept.pk).credentials["access_token"] == "t2"
    again = keys.rotate_keys()
    assert (again.rotated, again.current) == (0, 1)


def test_pages_list_a_connection_whose_store_cannot_be_decrypted_and_its_page_says_why(stores, client):
    from django.contrib.auth import get_user_model

    from dockline.accounts.models import Membership, Role
    from dockline.connections.models import Connection
    from dockline.sync.jobs import run_channel
    from dockline.sync.scheduler import claim_due, new_owner
    from dockline.warehouses.models import Warehouse

    lost, _ = stores
    warehouse = Warehouse.objects.create(organization=lost.organization, name="3PL", credentials={"password": "p"})
    conn = Connection.objects.create(organization=lost.organization, name="Lost connection", merchant=lost.merchant,
                                     store=lost, warehouse=warehouse)
    user = get_user_model().objects.create_user("alice", password="x")
    Membership.objects.create(user=user, organization=lost.organization, role=Role.ADMIN)
    client.force_login(user)
    assert client.get("/").status_code == 200
    assert "Lost connection" in client.get("/connections/").content.decode()
    assert client.get(f"/connections/{conn.pk}/").status_code == 200
    with pytest.raises(crypto.CredentialsUnreadable) as refused:
        Store.objects.get(pk=lost.pk).connector()
    assert refused.value.kind == ErrorKind.REAUTH
    # a run marks the connection, and its page says what to fix
    Connection.objects.filter(pk=conn.pk).update(enabled=True)
    owner = new_owner()
    for channel_id in claim_due(owner):
        run_channel(channel_id, owner)
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert "cannot be decrypted with the configured keys" in page


def test_start_up_says_a_missing_key_file_was_replaced_and_names_a_malformed_key(stores, settings):
    settings.SECRET_SOURCES = {"DOCKLINE_CREDENTIAL_KEYS": "file /x/credential.keys (generated now)"}
    problems = keys.start_up_problems()
    assert "a new key was just generated: put the old credential.keys file back" in problems[1]
    settings.CREDENTIAL_KEYS = [settings.CREDENTIAL_KEYS[0], "not-a-key"]
    assert keys.malformed_keys() == [2]
    assert "Credential key number 2" in keys.start_up_problems()[0]
