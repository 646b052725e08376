"""The Add Connection wizard: five steps; Back keeps what was typed; nothing is saved until the last step.

The warehouse step adds a new warehouse or reuses one of the organization's; each side's Test Connection is
remembered with the values it ran with, and a connection whose test failed or never ran is added only when the
person ticks "Add anyway; it stays disabled"."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.accounts.models import Role
from dockline.connections.credentials import readable
from dockline.connections.credentials import test_store as run_store_test
from dockline.connections.credentials import test_warehouse as run_warehouse_test
from dockline.connections.models import Side
from dockline.core import crypto
from dockline.inventory.services import ABSENT_MEANS_ZERO
from dockline.platforms.base import platforms
from dockline.warehouses.transports.ftps import TlsMode
from dockline.warehouses.transports.sftp import fingerprint_label
from dockline.web import scope, wizard
from dockline.web.forms import BasicForm, MerchantForm, StoreForm, TlsTrustForm, WarehouseForm, fields_form
from dockline.web.wizard import FOLDERS, STEPS, Draft

STEP_NAMES = [s for s, _ in STEPS]


def _allowed(request) -> None:
    permissions.require(permissions.can_manage_connections(request.user))


@login_required
def start(request):
    _allowed(request)
    Draft(request.session).clear()
    return redirect("wizard", step="basic")


@require_POST
@login_required
def cancel(request):
    Draft(request.session).clear()
    messages.info(request, "The new connection was discarded.")
    return redirect("connections")


@login_required
def step(request, step: str):
    _allowed(request)
    if step not in STEP_NAMES:
        permissions.require(False)
    draft = Draft(request.session)
    index = STEP_NAMES.index(step)
    for earlier in STEP_NAMES[:index]:  # no skipping ahead past an unfinished step
        if not draft.done(earlier):
            return redirect("wizard", step=earlier)
    errors = {}
    if request.method == "POST":
        if step == "review":
            return _finish(request, draft)
        errors = SAVE[step](request, draft)
        draft.mark(step, valid=not errors)
        if not errors:
            going_back = request.POST.get("go") == "back"
            return redirect("wizard", step=STEP_NAMES[index - 1 if going_back else index + 1])
        if request.POST.get("go") == "back":  # going back never loses the typing, even when incomplete
            return redirect("wizard", step=STEP_NAMES[index - 1])
    ctx = CONTEXT[step](request, draft, errors)
    return render(request, f"web/wizard/{step}.html", {
        **ctx, "steps": [{"name": n, "label": lbl, "current": n == step, "done": draft.done(n)} for n, lbl in STEPS],
        "step": step, "step_label": dict(STEPS)[step], "errors": errors, "first": index == 0,
    })


# ---------------------------------------------------------------- basic
def _save_basic(request, draft):
    form = BasicForm(request.POST)
    form.is_valid()
    draft.save("basic", form.typed())
    return form.field_errors()


def _ctx_basic(request, draft, errors):
    return {"values": draft.values("basic")}


# ---------------------------------------------------------------- merchant
def _save_merchant(request, draft):
    form = MerchantForm(request.POST, merchants=scope.merchants(request.user),
                        can_create=permissions.can_create_merchants(request.user))
    form.is_valid()
    draft.save("merchant", form.typed())
    return form.field_errors()


def _ctx_merchant(request, draft, errors):
    values = draft.values("merchant")
    merchants = scope.merchants(request.user)
    can_create = permissions.can_create_merchants(request.user)
    values.setdefault("choice", "existing" if merchants.exists() or not can_create else "new")
    return {"values": values, "merchants": merchants, "can_create": can_create}


# ---------------------------------------------------------------- warehouse
def _read_warehouse(request, draft, *, testing: bool = False):
    transports = wizard.transports()
    form = WarehouseForm(request.POST, transports=transports, formats=wizard.formats(),
                         folders=wizard.folder_defaults())
    form.is_valid()
    transport = form.cleaned_data["transport"]
    kept = draft.secrets("warehouse") if draft.values("warehouse").get("transport") == transport else {}
    login = fields_form(transports[transport].credential_fields, f"t_{transport}__")(request.POST, kept_secrets=kept)
    login.is_valid()
    trust, trust_errors = _read_trust(request, draft, transport, login.values(), testing=testing)
    typed = form.typed()
    values = {"name": typed["name"], "transport": transport, "credentials": login.values(),
              "folders": form.folders(), "format": typed["format"], "trust": trust,
              ABSENT_MEANS_ZERO: typed[ABSENT_MEANS_ZERO]}
    errors = {**login.field_errors(), **trust_errors}
    if "name" in form.errors:
        errors["name"] = form.field_errors()["name"]
    if request.POST.get("warehouse_choice") == "existing":  # the new warehouse's typing is kept, not checked
        picked = _picked_warehouse(request)
        values.update(choice="existing", existing_id=picked.pk if picked else None)
        if picked is None:
            return values, login.secrets(), {"existing_id": "Select one of your warehouses."}
        values.update(name=picked.name, transport=picked.transport, format=picked.file_format)
        return values, login.secrets(), {}
    values["choice"] = "new"
    return values, login.secrets(), errors


def _picked_warehouse(request):
    raw = request.POST.get("existing_id", "")
    return scope.warehouses(request.user).filter(pk=int(raw)).first() if raw.isdigit() else None


def _read_trust(request, draft, transport: str, credentials: dict, *, testing: bool) -> tuple[dict, dict]:
    """The server identity to pin: the SFTP host key Test Connection saw; the FTPS certificate check chosen."""
    seen = draft.seen(transport, credentials)
    if transport == "sftp":
        return ({"host_key": seen["host_key"]} if seen.get("host_key") else {}), {}
    if transport != "ftps":
        return {}, {}
    form = TlsTrustForm(request.POST, seen_fingerprint=seen.get("certificate", ""), pin_required=not testing)
    if not form.is_valid():  # kept as typed, so Back and a second try lose nothing
        typed = {k: request.POST.get(k, "").strip() for k in ("tls_mode", "tls_certificate", "tls_pin")}
        if typed["tls_mode"] not in {m.value for m in TlsMode}:
            typed["tls_mode"] = TlsMode.SYSTEM.value
        if "PRIVATE KEY" in typed["tls_certificate"]:
            typed["tls_certificate"] = ""  # a private key is neither kept nor shown back
        return typed, {k: " ".join(v) for k, v in form.errors.items()}
    return form.trust(), {}


def _save_warehouse(request, draft):
    values, secrets, errors = _read_warehouse(request, draft)
    draft.save("warehouse", values, secrets)
    return errors


def _ctx_warehouse(request, draft, errors):
    values = draft.values("warehouse")
    secrets = draft.secrets("warehouse")
    current = values.get("transport", "ftp")
    groups = []
    for name, cls in wizard.transports().items():
        same = name == current
        login = fields_form(cls.credential_fields, f"t_{name}__")(
            values=values.get("credentials", {}) if same else {}, kept_secrets=secrets if same else {})
        groups.append({"name": name, "label": cls.label, "selected": same,
                       "fields": login.rows(errors if same else {})})
    folders = values.get("folders") or wizard.folder_defaults()
    trust = values.get("trust") or {}
    tls_form = TlsTrustForm(initial={k: v for k, v in trust.items() if k.startswith("tls_") and v})
    warehouses = list(scope.warehouses(request.user).order_by("name"))
    choice = values.get("choice") or "new"
    return {"values": values, "transports": groups, "tls_form": tls_form, "existing": warehouses,
            "choice": choice if warehouses else "new", "existing_id": values.get("existing_id"),
            "tls_errors": {k: v for k, v in errors.items() if k.startswith("tls_")},
            "folders": [{"name": n, "label": lbl, "help": why, "value": folders.get(n, "")} for n, lbl, why in FOLDERS],
            "formats": [(n, c.label) for n, c in wizard.formats().items()], "current_format": values.get("format", "dsfx"),
            "absent_means_zero": values.get(ABSENT_MEANS_ZERO, True)}


@require_POST
@login_required
def test_warehouse(request):
    _allowed(request)
    draft = Draft(request.session)
    values, secrets, errors = _read_warehouse(request, draft, testing=True)
    errors.pop("name", None)
    report, seen = None, {}
    if not errors and values.get("existing_id"):
        picked = scope.warehouses(request.user).get(pk=values["existing_id"])
        report, _ = run_warehouse_test(picked.transport, readable(picked.credentials), dict(picked.settings))
        draft.remember_test(Side.WAREHOUSE, report, values, secrets)
    elif not errors:
        report, seen = run_warehouse_test(values["transport"], {**values["credentials"], **secrets},
                                          {**values["folders"], **values["trust"]})
        if seen.get("host_key") or seen.get("certificate"):
            draft.remember_seen(seen)
        draft.remember_test(Side.WAREHOUSE, report, values, secrets)
    return render(request, "web/wizard/_report.html", {"report": report, "errors": errors.values(), "seen": seen,
                                                       "transport": values["transport"]})


# ---------------------------------------------------------------- store
def _read_store(request, draft):
    every = platforms()
    form = StoreForm(request.POST, platforms=every)
    form.is_valid()
    typed = form.typed()
    if "platform" in form.errors:
        return {"name": typed["name"], "platform": ""}, {}, {"platform": form.field_errors()["platform"]}
    platform = typed["platform"]
    cls = every[platform]
    kept = draft.secrets("store") if draft.values("store").get("platform") == platform else {}
    creds = fields_form(cls.credential_fields, f"p_{platform}__")(request.POST, kept_secrets=kept)
    settings = fields_form(cls.settings_fields, f"s_{platform}__")(request.POST, kept_secrets=kept)
    creds.is_valid(), settings.is_valid()
    values = {"name": typed["name"], "platform": platform, "credentials": creds.values(), "settings": settings.values()}
    errors = {**creds.field_errors(), **settings.field_errors()}
    if "name" in form.errors:
        errors["name"] = form.field_errors()["name"]
    return values, {**creds.secrets(), **settings.secrets()}, errors


def _save_store(request, draft):
    values, secrets, errors = _read_store(request, draft)
    draft.save("store", values, secrets)
    return errors


def _ctx_store(request, draft, errors):
    values = draft.values("store")
    secrets = draft.secrets("store")
    current = values.get("platform", "")
    groups = []
    for name, cls in platforms().items():
        same = name == current
        groups.append({
            "name": name, "label": cls.label, "selected": same,
            "capabilities": sorted(str(c) for c in cls.capabilities),
            "fields": fields_form(cls.credential_fields, f"p_{name}__")(
                values=values.get("credentials", {}) if same else {},
                kept_secrets=secrets if same else {}).rows(errors if same else {}),
            "settings": fields_form(cls.settings_fields, f"s_{name}__")(
                values=values.get("settings", {}) if same else {}).rows(errors if same else {}),
        })
    return {"values": values, "platforms": groups}


@require_POST
@login_required
def test_store(request):
    _allowed(request)
    draft = Draft(request.session)
    values, secrets, errors = _read_store(request, draft)
    errors.pop("name", None)
    report = None
    choices = []
    if not errors:
        report = run_store_test(values["platform"], {**values["credentials"], **secrets}, values["settings"])
        draft.remember_test(Side.STORE, report, values, secrets)
        choices = [(f"s_{values['platform']}__{name}", options) for name, options in report.choices.items()]
    return render(request, "web/wizard/_report.html", {"report": report, "errors": errors.values(), "choices": choices})


# ---------------------------------------------------------------- review
def _ctx_review(request, draft, errors):
    merchant = draft.values("merchant")
    if merchant.get("choice") == "new":
        merchant_label = f"{merchant['new_name']} (new)"
    else:
        merchant_label = str(scope.merchants(request.user).filter(pk=merchant.get("merchant_id") or 0).first() or "")
    wh, store = draft.values("warehouse"), draft.values("store")
    transport, platform = wizard.transports()[wh["transport"]], platforms()[store["platform"]]
    trust = wh.get("trust") or {}
    tls_label = TlsMode(trust["tls_mode"]).label if wh["transport"] == "ftps" and trust.get("tls_mode") else ""
    existing = scope.warehouses(request.user).filter(pk=wh.get("existing_id") or 0).first()
    warehouse_rows = (_shown(transport.credential_fields, readable(existing.credentials), readable(existing.credentials)) if existing else
                      _shown(transport.credential_fields, wh["credentials"], draft.secrets("warehouse")))
    tests = [{"side": side.label, "id": side.value, "test": draft.last_test(side)} for side in Side]
    return {"basic": draft.values("basic"), "merchant_label": merchant_label, "warehouse": wh, "store": store,
            "existing": existing, "tests": tests, "all_passed": draft.all_passed(),
            "host_key_fingerprint": fingerprint_label(trust["host_key"]) if trust.get("host_key") else "",
            "tls_label": tls_label,
            "transport_label": transport.label, "platform_label": platform.label,
            "format_label": wizard.formats()[wh["format"]].label, "absent_means_zero": wh.get(ABSENT_MEANS_ZERO, True),
            "warehouse_rows": warehouse_rows,
            "store_rows": _shown(platform.credential_fields + platform.settings_fields,
                                 {**store["credentials"], **store["settings"]}, draft.secrets("store"))}


def _shown(fields, values: dict, secrets: dict) -> list[tuple[str, str]]:
    """(label, value) for each filled field; secrets masked."""
    rows = []
    for f in fields:
        value = crypto.mask(secrets[f.name]) if f.secret and secrets.get(f.name) else values.get(f.name, "")
        if value:
            rows.append((f.label, value))
    return rows


def _finish(request, draft):
    if request.POST.get("go") == "back":
        return redirect("wizard", step="store")
    merchant = draft.values("merchant")
    if merchant.get("choice") != "new" and not scope.merchants(request.user).filter(
            pk=merchant.get("merchant_id") or 0).exists():
        return redirect("wizard", step="merchant")
    existing = draft.values("warehouse").get("existing_id")
    if existing and not scope.warehouses(request.user).filter(pk=existing).exists():  # deleted meanwhile
        return redirect("wizard", step="warehouse")
    if not draft.all_passed() and request.POST.get("add_anyway") != "on":
        messages.error(request, "The store or warehouse test failed or was never run with these values: go Back "
                                "and run Test Connection, or tick “Add anyway; it stays disabled”.")
        return redirect("wizard", step="review")
    membership = permissions.membership(request.user)
    connection = wizard.create_connection(membership.organization, draft)
    if merchant.get("choice") == "new" and membership.role != Role.ADMIN:
        membership.merchants.add(connection.merchant)
    draft.clear()
    messages.success(request, f"Connection {connection.name} was added. It is Disabled: check the setup list, "
                              "then enable it.")
    return redirect("connection", pk=connection.pk)


SAVE = {"basic": _save_basic, "merchant": _save_merchant, "warehouse": _save_warehouse, "store": _save_store}
CONTEXT = {"basic": _ctx_basic, "merchant": _ctx_merchant, "warehouse": _ctx_warehouse, "store": _ctx_store,
           "review": _ctx_review}
