"""The page a merchant opens from a credential link: the store's credential fields, Test Connection, Send.

No Dockline account is needed and nothing of the organization is shown beyond its name and the store's: the
token in the address is the only key. Each address may open or test links a limited number of times per quarter
hour (the login throttle's counts), each link allows a bounded number of tests, CSRF protection stays on, and
the answers are neither cached nor sent to other sites as a referrer. Whether a link works is decided in
`connections.credential_links`.
"""
from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from dockline.accounts.throttle import client_address, counts
from dockline.connections import credential_links
from dockline.connections.credentials import declared_values
from dockline.connections.models import CredentialLink
from dockline.platforms.base import platforms
from dockline.web.forms import fields_form

PREFIX = "c__"
MAX_REQUESTS = 60  # per address and WINDOW: opening, testing and sending a link
WINDOW = 15 * 60


def _private(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # "no-referrer" would send Origin: null and fail CSRF
    response["X-Robots-Tag"] = "noindex"
    return response


def _throttled(request) -> bool:
    key = f"credential-link:addr:{client_address(request)}"
    return counts().incr(key, WINDOW) > MAX_REQUESTS


def _refused(request, message: str, status: int):
    return _private(render(request, "web/credentials/link_refused.html", {"message": message}, status=status))


def _open(request, token: str) -> CredentialLink:
    if _throttled(request):
        raise credential_links.LinkRefused("Too many attempts from your address. Wait a quarter of an hour, "
                                           "then open the link again.")
    return credential_links.open_link(token)


def _form_class(link: CredentialLink):
    return fields_form(platforms()[link.connection.store.platform].credential_fields, PREFIX)


def _page(request, link: CredentialLink, form, *, report=None, status: int = 200):
    shown = _form_class(link)(values=form.values() if form.is_bound else {})
    store = link.connection.store
    return _private(render(request, "web/credentials/link.html", {
        "link": link, "store_name": store.name, "organization": link.connection.organization.name,
        "platform_label": platforms()[store.platform].label, "report": report,
        "rows": shown.rows(form.field_errors() if form.is_bound else {}),
    }, status=status))


@sensitive_post_parameters()
def credential_link(request, token: str):
    """GET: the fields to fill in. POST: test what was typed, and store it when it works (or "Send anyway")."""
    try:
        link = _open(request, token)
    except credential_links.LinkRefused as exc:
        return _refused(request, str(exc), 410 if request.method == "GET" else 400)
    if request.method != "POST":
        return _page(request, link, _form_class(link)())
    form = _form_class(link)(request.POST)
    if not form.is_valid():
        return _page(request, link, form, status=400)
    values = declared_values(_form_class(link).declared, form.values(), form.secrets())
    try:
        report = credential_links.test_with_link(link, values)
        if not report.ok and request.POST.get("send_anyway") != "on":
            return _page(request, link, form, report=report, status=400)
        credential_links.submit(link, values, report)
    except credential_links.LinkRefused as exc:
        return _refused(request, str(exc), 400)
    return _private(render(request, "web/credentials/link_done.html", {
        "ok": report.ok, "organization": link.connection.organization.name, "store_name": link.connection.store.name}))


@sensitive_post_parameters()
@require_POST
def credential_link_test(request, token: str):
    """Test Connection with what the merchant typed (htmx); nothing is stored."""
    try:
        link = _open(request, token)
        form = _form_class(link)(request.POST)
        if not form.is_valid():
            return _private(render(request, "web/wizard/_report.html", {"errors": form.field_errors().values()}))
        report = credential_links.test_with_link(link, declared_values(_form_class(link).declared, form.values(),
                                                                       form.secrets()))
    except credential_links.LinkRefused as exc:
        return _private(render(request, "web/wizard/_report.html", {"refused": str(exc)}))
    return _private(render(request, "web/wizard/_report.html", {"report": report}))
