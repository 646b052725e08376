"""`dockline createadmin` and `dockline users`: what an operator types on a fresh install."""
import json

PASSWORD = {"DOCKLINE_ADMIN_PASSWORD": "a-Long-passphrase-9"}
USER_PASSWORD = {"DOCKLINE_USER_PASSWORD": "a-Long-passphrase-9"}


def test_createadmin_without_input_refuses_without_a_password_then_refuses_a_weak_one(dockline):
    missing = dockline("createadmin", "--organization", "ACME", "--username", "alice", "--no-input")
    assert missing.returncode == 2 and "DOCKLINE_ADMIN_PASSWORD" in missing.stderr
    weak = dockline("createadmin", "--organization", "ACME", "--username", "alice", "--no-input",
                    env={"DOCKLINE_ADMIN_PASSWORD": "password"})
    assert weak.returncode == 1 and "The password is not accepted" in weak.stderr and "common" in weak.stderr
    assert "Traceback" not in weak.stderr


def test_createadmin_for_scripts_then_users_are_added_changed_listed_and_deactivated(dockline):
    made = dockline("createadmin", "--organization", "ACME", "--username", "alice", "--email", "alice@example.com",
                    "--no-input", env=PASSWORD)
    assert made.returncode == 0, made.stderr
    assert "alice is an administrator of ACME" in made.stdout
    staff = dockline("users", "add", "--username", "bob", "--role", "staff", "--no-input", env=USER_PASSWORD)
    assert staff.returncode == 1 and "--merchant" in staff.stderr
    added = dockline("users", "add", "--username", "carol", "--role", "admin", "--no-input", env=USER_PASSWORD)
    assert added.returncode == 0 and "Added carol to ACME as Administrator" in added.stdout
    last = dockline("users", "deactivate", "--organization", "ACME", "--username", "carol")
    assert last.returncode == 0, last.stderr
    demote = dockline("users", "set-role", "--username", "alice", "--role", "merchant", "--merchant", "Acme")
    assert demote.returncode == 1 and "no merchant 'Acme'" in demote.stderr
    listed = json.loads(dockline("users", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["active"]) for u in listed] == [("alice", "admin", True),
                                                                         ("carol", "admin", False)]
    table = dockline("users", "list").stdout
    assert "alice@example.com" in table and "Administrator" in table


def test_createadmin_asks_interactively(dockline):
    answers = "Globex\ndave\ndave@example.com\na-Long-passphrase-9\na-Long-passphrase-9\n"
    made = dockline("createadmin", input=answers)
    assert made.returncode == 0, made.stderr
    assert "dave is an administrator of Globex" in made.stdout
