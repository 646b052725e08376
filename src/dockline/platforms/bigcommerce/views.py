"""The BigCommerce app's auth callback (Dockline's "Auth Callback URL" in the app's settings)."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET

from dockline.core.errors import ConnectorError
from dockline.platforms.bigcommerce.install import app_setting, save_install
from dockline.platforms.bigcommerce.oauth import DEFAULT_LOGIN_BASE, exchange_code


@login_required
@require_GET
def auth_callback(request: HttpRequest) -> HttpResponse:
    membership = getattr(request.user, "membership", None)
    if membership is None:
        return HttpResponse("Your Dockline user belongs to no organization.", status=403)
    try:
        credentials = exchange_code(
            code=request.GET.get("code", ""), scope=request.GET.get("scope", ""),
            context=request.GET.get("context", ""),
            client_id=app_setting("CLIENT_ID"), client_secret=app_setting("CLIENT_SECRET"),
            redirect_uri=f"{settings.PUBLIC_URL}/bigcommerce/auth/",
            login_base=app_setting("LOGIN_URL", DEFAULT_LOGIN_BASE),
        )
    except ConnectorError as exc:
        return HttpResponse(format_html("<h1>BigCommerce install failed</h1><p>{}</p>", exc.message), status=400)
    store, created = save_install(membership.organization, credentials)
    connector = store.connector()
    try:
        report = connector.test_connection()
    finally:
        connector.close()
    steps = format_html_join("", "<li>{}: {}{}</li>", (
        (s.name, "OK" if s.ok else "FAILED", f" — {s.detail}" if s.detail else "") for s in report.steps))
    verdict = "Ready to use." if report.ok else "Fix the failed checks (usually a missing scope), then reinstall."
    return HttpResponse(format_html(
        "<h1>{} {}</h1><p>{}</p><ul>{}</ul>",
        "Connected" if created else "Reconnected", store.name, verdict, steps,
    ), status=200 if report.ok else 409)
