from django.urls import include, path

urlpatterns = [
    path("hooks/", include("dockline.webhooks.urls")),
    path("bigcommerce/", include("dockline.platforms.bigcommerce.urls")),
    path("", include("dockline.web.urls")),
]
