from django.apps import AppConfig


class WarehousesConfig(AppConfig):
    name = "dockline.warehouses"
    label = "warehouses"
