from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "dockline.sync"
    label = "sync"
