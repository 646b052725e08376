from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "dockline.webhooks"
    label = "webhooks"
