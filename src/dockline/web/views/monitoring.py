"""/healthz for load balancers and orchestration, /metrics for Prometheus (no login: see alerts/monitoring.py)."""
from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from dockline.alerts.monitoring import DocklineCollector, health, metrics_allowed


@never_cache
@require_GET
def healthz(request):
    ok, body = health()
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_GET
def metrics(request):
    if not metrics_allowed(request.META.get("REMOTE_ADDR", ""), request.headers.get("Authorization", "")):
        return HttpResponse("Not allowed: send the DOCKLINE_METRICS_TOKEN as a bearer token, or scrape from a "
                            "network in DOCKLINE_METRICS_NETWORKS.\n", status=403, content_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DocklineCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
