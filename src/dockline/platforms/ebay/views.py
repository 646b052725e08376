"""eBay's consent in the browser: `/ebay/consent/<store>/` sends the merchant to eBay's page with a one-time
state; `/ebay/auth/` (the RuName's accepted and declined URL) checks the state, exchanges the code and keeps
the refresh token, encrypted with the store's credentials."""
from __future__ import annotations

import secrets

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET

from dockline.connections.models import Store
from dockline.core.errors import ConnectorError
from dockline.platforms.ebay.oauth import DEFAULT_AUTH_BASE, consent_url, exchange_code

SESSION_KEY = "ebay_consent"  # state -> store id, for consents started in this session


def _store(request: HttpRequest, store_id: int) -> Store:
    membership = getattr(request.user, "membership", None)
    store = Store.objects.filter(pk=store_id, platform="ebay",
                                 organization=getattr(membership, "organization", None)).first()
    if store is None:
        raise Http404("No such eBay store in your organization.")
    return store


@login_required
@require_GET
def consent(request: HttpRequest, store_id: int) -> HttpResponse:
    store = _store(request, store_id)
    creds = store.credentials
    if not creds.get("client_id") or not creds.get("ru_name"):
        return HttpResponse("Enter the App ID, Cert ID and RuName of the store first.", status=409)
    state = secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = {**request.session.get(SESSION_KEY, {}), state: store.pk}
    return HttpResponseRedirect(consent_url(creds["client_id"], creds["ru_name"], state,
                                            store.settings.get("auth_base") or DEFAULT_AUTH_BASE))


@login_required
@require_GET
def auth_callback(request: HttpRequest) -> HttpResponse:
    started = dict(request.session.get(SESSION_KEY, {}))
    store_id = started.pop(request.GET.get("state", ""), None)
    if store_id is None:
        return HttpResponse("This eBay consent was not started from this Dockline session (or was already used): "
                            "start it again from the store's consent link.", status=400)
    request.session[SESSION_KEY] = started
    store = _store(request, store_id)
    if not request.GET.get("code"):
        return HttpResponse(format_html("<h1>eBay consent declined</h1><p>{} stays without access to eBay; start "
                                        "the consent again to connect it.</p>", store.name), status=400)
    creds = store.credentials
    try:
        got = exchange_code(request.GET["code"], client_id=creds.get("client_id", ""),
                            client_secret=creds.get("client_secret", ""), ru_name=creds.get("ru_name", ""),
                            api_base=store.settings.get("api_base") or "")
    except ConnectorError as exc:
        return HttpResponse(format_html("<h1>eBay consent failed</h1><p>{}</p>", exc.message), status=400)
    store.save_credentials({**{k: v for k, v in creds.items() if k != "access_token"}, **got})
    connector = store.connector()
    try:
        report = connector.test_connection()
    finally:
        connector.close()
    steps = format_html_join("", "<li>{}: {}{}</li>", (
        (s.name, "OK" if s.ok else "FAILED", f" — {s.detail}" if s.detail else "") for s in report.steps))
    verdict = "Ready to use." if report.ok else "Fix the failed checks, then consent again."
    return HttpResponse(format_html("<h1>Connected {} to eBay</h1><p>{}</p><ul>{}</ul>", store.name, verdict, steps),
                        status=200 if report.ok else 409)
