"""The BigCommerce app: starting an install in Dockline, and the app's auth, load and uninstall callbacks.

BigCommerce shows the callbacks inside its control panel, a cross-site frame that carries no
Dockline session: they trust only what BigCommerce signs or answers (the token answer, the signed
payload), never the request or a cookie, and may be framed by the control panel alone.
"""
from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dockline.accounts import permissions
from dockline.connections.models import Connection
from dockline.core.errors import ConnectorError
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.platforms.bigcommerce.install import (
    InstallRefused,
    app_setting,
    finish_install,
    refused,
    start_install,
    stores_with_hash,
    uninstall,
)
from dockline.platforms.bigcommerce.models import INTENT_LIFETIME
from dockline.platforms.bigcommerce.oauth import (
    DEFAULT_LOGIN_BASE,
    exchange_code,
    verify_signed_payload,
)
from dockline.web import scope
from dockline.web.ids import is_id

CONTROL_PANEL = "https://*.bigcommerce.com https://*.mybigcommerce.com"


def in_control_panel(view):
    """Let BigCommerce's control panel (and nobody else) show the page in its frame."""
    @wraps(view)
    def framed(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = f"frame-ancestors 'self' {CONTROL_PANEL}"
        return response

    return xframe_options_exempt(framed)


def _answer(request, title: str, paragraphs, status: int = 200, **extra) -> HttpResponse:
    return render(request, "bigcommerce/answer.html", {"title": title, "paragraphs": paragraphs, **extra},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def install_start(request: HttpRequest) -> HttpResponse:
    """Administrators and Staff say which store hash goes to which store or merchant, then install in BigCommerce."""
    permissions.require(permissions.can_manage_connections(request.user))
    merchants = scope.merchants(request.user)
    stores = scope.stores(request.user).filter(platform="bigcommerce")
    context = {"merchants": merchants, "stores": stores, "minutes": int(INTENT_LIFETIME.total_seconds() // 60),
               "callback": f"{settings.PUBLIC_URL}/bigcommerce/auth/"}
    if request.method == "POST":
        target = request.POST.get("target", "")
        kind, _, raw = target.partition(":")
        store = merchant = None
        if kind == "store" and is_id(raw):
            store = get_object_or_404(stores, pk=int(raw))
        elif kind == "merchant" and is_id(raw):
            merchant = get_object_or_404(merchants, pk=int(raw))
        try:
            intent = start_install(request.user, request.POST.get("store_hash", ""), store=store, merchant=merchant)
        except InstallRefused as exc:
            return render(request, "bigcommerce/install_start.html", {**context, "error": exc.message,
                                                                      "posted": request.POST}, status=400)
        login = app_setting("LOGIN_URL", DEFAULT_LOGIN_BASE).rstrip("/")
        context.update(intent=intent, install_url=f"{login}/app/{app_setting('CLIENT_ID')}/install")
    return render(request, "bigcommerce/install_start.html", context)


@in_control_panel
@require_GET
def auth_callback(request: HttpRequest) -> HttpResponse:
    """BigCommerce's Auth Callback: the token lands only where an install started in Dockline says."""
    try:
        credentials = exchange_code(
            code=request.GET.get("code", ""), scope=request.GET.get("scope", ""),
            context=request.GET.get("context", ""),
            client_id=app_setting("CLIENT_ID"), client_secret=app_setting("CLIENT_SECRET"),
            redirect_uri=f"{settings.PUBLIC_URL}/bigcommerce/auth/",
            login_base=app_setting("LOGIN_URL", DEFAULT_LOGIN_BASE),
        )
    except ConnectorError as exc:
        refused(request.GET.get("context", ""), exc.message)
        return _answer(request, "BigCommerce install failed", [exc.message], status=400)
    try:
        store, created = finish_install(credentials)
    except InstallRefused as exc:
        return _answer(request, "Install not accepted by Dockline", [exc.message], status=403)
    connector = store.connector()
    try:
        report = connector.test_connection()
    finally:
        connector.close()
    verdict = "Ready to use." if report.ok else "Fix the failed checks (usually a missing scope), then reinstall."
    return _answer(request, f"{'Connected' if created else 'Reconnected'} {store.name}", [verdict],
                   status=200 if report.ok else 409, steps=report.steps)


def _signed(request: HttpRequest) -> dict:
    return verify_signed_payload(request.GET.get("signed_payload_jwt", ""), client_id=app_setting("CLIENT_ID"),
                                 client_secret=app_setting("CLIENT_SECRET"))


@in_control_panel
@require_GET
def load_callback(request: HttpRequest) -> HttpResponse:
    """BigCommerce's Load Callback: what Dockline does for this store, shown in its control panel."""
    try:
        payload = _signed(request)
    except ConnectorError as exc:
        refused("", f"load callback: {exc.message}")
        again = "Open the app again from the BigCommerce control panel."
        return _answer(request, "Dockline cannot open here", [exc.message, again], status=401)
    store_hash = payload["store_hash"]
    stores = [s for s in stores_with_hash(store_hash) if s.credentials.get("access_token")]
    if not stores:
        missing = (f"Store {store_hash} is not connected to Dockline yet. Ask your fulfillment provider to start "
                   "the install in Dockline, then install the app again.")
        return _answer(request, "Dockline", [missing], status=404)
    rows = []
    for connection in Connection.objects.filter(store__in=stores).select_related("warehouse"):
        waiting = Order.objects.filter(connection=connection, status=OrderStatus.ERROR).count()
        rows.append({"connection": connection, "errors": waiting})
    return _answer(request, f"Dockline · {stores[0].name}", [], connections=rows)


@in_control_panel
@require_GET
def uninstall_callback(request: HttpRequest) -> HttpResponse:
    """BigCommerce's Uninstall Callback: forget the token, switch the store's connections off."""
    try:
        payload = _signed(request)
    except ConnectorError as exc:
        refused("", f"uninstall callback: {exc.message}")
        return HttpResponse(exc.message, status=401, content_type="text/plain")
    who = (payload.get("user") or {}).get("email", "") if isinstance(payload.get("user"), dict) else ""
    stores = uninstall(payload["store_hash"], by=who)
    return HttpResponse(f"Uninstalled: {len(stores)} Dockline store(s) disconnected.", content_type="text/plain")

