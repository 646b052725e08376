from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dockline.web"
    label = "web"
