from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "dockline.alerts"
    label = "alerts"

    def ready(self) -> None:
        from django.conf import settings

        from dockline.alerts import services
        from dockline.sync import periodic

        periodic.every("alerts", settings.ALERTS_EVERY_SECONDS, services.run_periodic)
