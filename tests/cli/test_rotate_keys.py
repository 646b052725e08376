"""`dockline rotate-keys`: every secret under the newest key, rerunnable, with a summary."""
from cryptography.fernet import Fernet

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
MAKE_STORE = """
import django, os; os.environ["DJANGO_SETTINGS_MODULE"] = "dockline.settings"; django.setup()
from django.core.management import call_command; call_command("migrate", verbosity=0)
from dockline.accounts.models import Merchant, Organization
from dockline.connections.models import Store
org = Organization.objects.create(name="ACME"); m = Merchant.objects.create(organization=org, name="Acme")
Store.objects.create(organization=org, merchant=m, name="Acme store", platform="bigcommerce",
                     credentials={"store_hash": "abc", "access_token": "secret-token"})
"""


def test_rotate_keys_reencrypts_under_the_newest_key_and_a_rerun_finds_nothing_to_do(dockline):
    made = dockline.python(MAKE_STORE, env={"DOCKLINE_CREDENTIAL_KEYS": OLD})
    assert made.returncode == 0, made.stderr
    both = {"DOCKLINE_CREDENTIAL_KEYS": f"{NEW},{OLD}"}
    first = dockline("rotate-keys", env=both)
    assert first.returncode == 0, first.stderr
    assert "1 secret(s) re-encrypted with the newest key, 0 already were" in first.stdout
    again = dockline("rotate-keys", env={"DOCKLINE_CREDENTIAL_KEYS": NEW})
    assert again.returncode == 0 and "0 secret(s) re-encrypted with the newest key, 1 already were" in again.stdout
    lost = dockline("rotate-keys", env={"DOCKLINE_CREDENTIAL_KEYS": OLD})
    assert lost.returncode == 1 and "cannot be decrypted with any configured key" in lost.stdout
    assert "secret-token" not in lost.stdout + lost.stderr
