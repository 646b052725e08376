from django.apps import AppConfig


class MappingConfig(AppConfig):
    name = "dockline.mapping"
    label = "mapping"
