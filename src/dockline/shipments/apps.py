from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "dockline.shipments"
    label = "shipments"
