"""A connection's credential screens: the store's and the warehouse's declared fields, Test Connection, Save.

Secrets are never drawn back: a secret field left empty keeps the stored value, typed it replaces it. Save runs
the same step-by-step test first; failing credentials are saved only when "Save anyway" is ticked, and then the
side keeps its "needs re-authorization" mark. The store screen also makes and withdraws the one-time links a
merchant uses to enter the store's credentials (`connections.credential_links`). Only people who manage
connections see these screens; changing a warehouse's server identity stays with administrators (`trust.py`).
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.connections import credential_links
from dockline.connections.credentials import (
    Outcome,
    declared_values,
    last_checks,
    readable,
    save_store_credentials,
    save_warehouse_credentials,
    test_store,
    test_warehouse,
)
from dockline.connections.models import Side
from dockline.core import crypto
from dockline.core.activity import Actor
from dockline.platforms.base import platforms
from dockline.warehouses import transports as file_transports
from dockline.web import scope
from dockline.web.forms import fields_form
from dockline.web.views import trust

PREFIX = "c__"


class LinkForm(forms.Form):
    hours = forms.IntegerField(min_value=1, max_value=credential_links.MAX_HOURS,
                               initial=credential_links.DEFAULT_HOURS, label="Link works for (hours)")


def _connection(request, pk: int):
    conn = scope.connection(request.user, pk)
    permissions.require(permissions.can_manage_connections(request.user))
    return conn


def _fields(conn, side: Side):
    if side is Side.STORE:
        return platforms()[conn.store.platform].credential_fields
    return file_transports.transport_class(conn.warehouse.transport).credential_fields


def _stored(conn, side: Side) -> dict:
    return readable(conn.store.credentials if side is Side.STORE else conn.warehouse.credentials)


def _pending(conn, side: Side, data) -> dict:
    """Secrets typed before a failed test, carried encrypted in the form so "Save anyway" saves them, not the old."""
    token = (data or {}).get("pending", "")
    if not token:
        return {}
    try:
        got = crypto.decrypt(token)
    except crypto.CredentialsUnreadable:
        return {}
    return got.get("secrets", {}) if got.get("for") == f"{conn.pk}:{side.value}" else {}


def _form(conn, side: Side, data=None, *, kept: dict | None = None):
    stored = _stored(conn, side)
    cls = fields_form(_fields(conn, side), PREFIX)
    if data is None:
        return cls(values={k: v for k, v in stored.items() if isinstance(v, str | int)},
                   kept_secrets={**stored, **(kept or {})})
    return cls(data, kept_secrets={**stored, **_pending(conn, side, data)}, values={})


def _run(conn, side: Side, values: dict):
    """(report, seen) of Test Connection with `values` and the side's stored settings (pinned identity included)."""
    if side is Side.STORE:
        return test_store(conn.store.platform, values, dict(conn.store.settings)), {}
    return test_warehouse(conn.warehouse.transport, values, dict(conn.warehouse.settings))


def _page(request, conn, side: Side, form, *, report=None, status: int = 200, **extra):
    rows_form = form if form.is_bound else None
    errors = rows_form.field_errors() if rows_form is not None else {}
    pending = rows_form.secrets() if rows_form is not None and report is not None else {}
    shown = _form(conn, side, kept=pending)  # a typed secret is never drawn back, only its mask
    if rows_form is not None:
        shown.initial.update(rows_form.values())
    ctx = {"connection": conn, "side": side, "rows": shown.rows(errors), "report": report,
           "check": last_checks(conn).get(side), "auth_error": conn.auth_error(side),
           "unreadable": crypto.unreadable(conn.store.credentials if side is Side.STORE else conn.warehouse.credentials),
           "entries": conn.activity.all()[:10], "platform_label": platforms()[conn.store.platform].label,
           "transport_label": file_transports.transport_class(conn.warehouse.transport).label,
           "test_url": reverse(f"{side.value}_credentials_test", args=[conn.pk]),
           "pending": crypto.encrypt({"for": f"{conn.pk}:{side.value}", "secrets": pending}) if pending else "",
           **extra}
    if side is Side.STORE:
        ctx.update(links=credential_links.open_links(conn), link_form=extra.get("link_form") or LinkForm())
    else:
        others = conn.warehouse.connections.exclude(pk=conn.pk)
        sharing = list(scope.connections(request.user).filter(pk__in=others).order_by("name"))
        ctx.update(trust.trust_context(request, conn), trust_back="credentials", sharing=sharing,
                   sharing_hidden=others.count() - len(sharing))  # names of unseen merchants' connections stay hidden
    return render(request, "web/credentials/side.html", ctx, status=status)


def _screen(request, pk: int, side: Side):
    conn = _connection(request, pk)
    if request.method != "POST":
        return _page(request, conn, side, _form(conn, side))
    form = _form(conn, side, request.POST)
    if not form.is_valid():
        return _page(request, conn, side, form, status=400)
    values = declared_values(_fields(conn, side), form.values(), form.secrets())
    report, seen = _run(conn, side, values)
    if not report.ok and request.POST.get("save_anyway") != "on":
        messages.error(request, "Not saved: Test Connection failed. Correct the credentials, or tick “Save anyway”.")
        return _page(request, conn, side, form, report=report, status=400)
    outcome, actor = Outcome.of(report), Actor.of(request.user)
    if side is Side.STORE:
        changed = save_store_credentials(conn, values, outcome, actor)
    else:
        changed = save_warehouse_credentials(conn, values, outcome, actor, seen_host_key=seen.get("host_key", ""))
    what = f"{side.label} credentials saved" + (f" ({', '.join(changed)} changed)" if changed else "")
    if report.ok:
        messages.success(request, f"{what}; Test Connection passed.")
    else:
        messages.warning(request, f"{what}, but Test Connection failed: the {side.label.lower()} still needs "
                                  "re-authorization.")
    return redirect(f"{side.value}_credentials", pk=conn.pk)


@sensitive_post_parameters()
@login_required
def store_credentials(request, pk: int):
    return _screen(request, pk, Side.STORE)


@sensitive_post_parameters()
@login_required
def warehouse_credentials(request, pk: int):
    return _screen(request, pk, Side.WAREHOUSE)


def _test(request, pk: int, side: Side):
    conn = _connection(request, pk)
    form = _form(conn, side, request.POST)
    if not form.is_valid():
        return render(request, "web/wizard/_report.html", {"errors": form.field_errors().values()})
    report, _seen = _run(conn, side, declared_values(_fields(conn, side), form.values(), form.secrets()))
    return render(request, "web/wizard/_report.html", {"report": report})


@sensitive_post_parameters()
@require_POST
@login_required
def store_credentials_test(request, pk: int):
    return _test(request, pk, Side.STORE)


@sensitive_post_parameters()
@require_POST
@login_required
def warehouse_credentials_test(request, pk: int):
    return _test(request, pk, Side.WAREHOUSE)


@require_POST
@login_required
def credential_link_create(request, pk: int):
    """Make a one-time link for the merchant; it is shown on this answer only (only its hash is kept)."""
    conn = _connection(request, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _page(request, conn, Side.STORE, _form(conn, Side.STORE), link_form=form, status=400)
    link, token = credential_links.create_link(conn, request.user, hours=form.cleaned_data["hours"])
    url = settings.PUBLIC_URL + reverse("credential_link", args=[token])
    response = _page(request, conn, Side.STORE, _form(conn, Side.STORE), new_link=link, new_link_url=url)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def credential_link_revoke(request, pk: int, link_id: int):
    conn = _connection(request, pk)
    link = get_object_or_404(conn.credential_links.all(), pk=link_id)
    credential_links.revoke(link, request.user)
    messages.success(request, "The credential link was withdrawn; it no longer opens.")
    return redirect("store_credentials", pk=conn.pk)
