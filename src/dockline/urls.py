from django.urls import include, path

urlpatterns = [
    path("hooks/", include("dockline.webhooks.urls")),
    path("bigcommerce/", include("dockline.platforms.bigcommerce.urls")),
    path("ebay/", include("dockline.platforms.ebay.urls")),
    path("", include("dockline.web.urls")),
]
