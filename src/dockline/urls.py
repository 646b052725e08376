from django.urls import include, path

from dockline.web.views import monitoring

urlpatterns = [
    path("api/v1/", include("dockline.api.urls")),
    path("healthz", monitoring.healthz, name="healthz"),
    path("metrics", monitoring.metrics, name="metrics"),
    path("hooks/", include("dockline.webhooks.urls")),
    path("bigcommerce/", include("dockline.platforms.bigcommerce.urls")),
    path("ebay/", include("dockline.platforms.ebay.urls")),
    path("", include("dockline.web.urls")),
]
