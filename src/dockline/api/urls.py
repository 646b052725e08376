from django.urls import path

from dockline.api.main import api

urlpatterns = [path("", api.urls)]
