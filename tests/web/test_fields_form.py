"""A plugin's declared fields read as a Django form: secrets marked and never drawn back, required, defaults."""
from dockline.platforms.base import CredentialField
from dockline.web.forms import fields_form

FIELDS = (CredentialField("host", "Host"), CredentialField("port", "Port", required=False, default="22"),
          CredentialField("password", "Password", secret=True))
Login = fields_form(FIELDS, "t_sftp__")


def test_a_secret_is_a_password_box_that_never_draws_its_value_back():
    form = Login({"t_sftp__host": "h", "t_sftp__password": "hunter2-long"})
    assert form.is_valid()
    html = str(form["password"])
    assert 'type="password"' in html and 'name="t_sftp__password"' in html and "hunter2-long" not in html
    assert form.secrets() == {"password": "hunter2-long"} and "password" not in form.values()


def test_a_secret_left_empty_keeps_the_stored_one_and_shows_only_its_mask():
    form = Login({"t_sftp__host": "h", "t_sftp__password": ""}, kept_secrets={"password": "stored-secret-99"})
    assert form.is_valid(), form.errors
    assert form.secrets() == {"password": "stored-secret-99"}
    row = {r["name"]: r for r in Login(kept_secrets={"password": "stored-secret-99"}).rows()}["t_sftp__password"]
    assert row["secret"] and row["value"] == "" and row["placeholder"].startswith("kept: ")
    assert "stored-secret-99" not in row["placeholder"]


def test_a_missing_required_field_is_named_next_to_it_and_what_was_typed_stays():
    form = Login({"t_sftp__host": "  ", "t_sftp__port": " 2222 "})
    assert not form.is_valid()
    assert form.field_errors() == {"host": "Host is required.", "password": "Password is required."}
    assert form.values() == {"host": "", "port": "2222"}
    rows = {r["name"]: r for r in Login(values=form.values()).rows(form.field_errors())}
    assert rows["t_sftp__host"]["error"] == "Host is required." and rows["t_sftp__port"]["value"] == "2222"


def test_an_optional_field_shows_its_declared_default_until_something_is_typed():
    assert not Login.base_fields["port"].required and Login.base_fields["host"].required
    rows = {r["name"]: r for r in Login().rows()}
    assert rows["t_sftp__port"]["value"] == "22" and not rows["t_sftp__port"]["required"]
    assert Login({"t_sftp__host": "h", "t_sftp__password": "p"}).is_valid()
