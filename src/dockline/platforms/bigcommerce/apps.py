from django.apps import AppConfig


class BigCommerceConfig(AppConfig):
    """Only for the app install records (models.InstallIntent); the connector needs no Django app."""

    name = "dockline.platforms.bigcommerce"
    label = "bigcommerce"
    verbose_name = "BigCommerce app"
