from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "dockline.rules"
    label = "rules"
