from django.urls import include, path

urlpatterns = [path("", include("dockline.web.urls"))]
