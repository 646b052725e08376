from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("dockline.api.urls")),
    path("hooks/", include("dockline.webhooks.urls")),
    path("bigcommerce/", include("dockline.platforms.bigcommerce.urls")),
    path("ebay/", include("dockline.platforms.ebay.urls")),
    path("", include("dockline.web.urls")),
]
