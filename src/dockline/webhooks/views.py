"""The webhook receiving endpoint: thin, the work is in services.receive."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dockline.accounts.throttle import client_address
from dockline.webhooks.services import receive


@csrf_exempt
@require_POST
def deliver(request: HttpRequest, platform: str, connection_id: int) -> JsonResponse:
    outcome = receive(platform, connection_id, request.headers, request.body, client_address(request))
    response = JsonResponse({"detail": outcome.detail}, status=outcome.status)
    if outcome.status == 429:
        response["Retry-After"] = "60"
    return response
