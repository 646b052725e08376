from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dockline.accounts"
    label = "accounts"
