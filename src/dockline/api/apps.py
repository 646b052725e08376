from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dockline.api"
    label = "api"
