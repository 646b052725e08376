from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "dockline.orders"
    label = "orders"
