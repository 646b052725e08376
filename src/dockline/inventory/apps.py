from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "dockline.inventory"
    label = "inventory"
