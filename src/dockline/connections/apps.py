from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "dockline.connections"
    label = "connections"
