"""What a person does to alerts and deliveries; refusals say why in plain words."""
from __future__ import annotations

from django.utils import timezone

from dockline.alerts.channels import webhook
from dockline.alerts.models import Alert, Delivery
from dockline.alerts.status import AlertState
from dockline.connections.services import ActionRefused


def acknowledge(alert: Alert, user, note: str) -> None:
    """Say someone is on it, with a note of what they do; the alert stays until its cause clears."""
    if alert.state == AlertState.CLOSED:
        raise ActionRefused("This alert is already closed; if the problem is back, a new alert is open for it.")
    note = note.strip()
    if not note:
        raise ActionRefused("Write a note saying what you are doing about it, so the others know.")
    alert.move_to(AlertState.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=timezone.now(), note=note)


def redeliver(delivery: Delivery) -> None:
    """Send the event to its endpoint again, under the same event id."""
    if not delivery.endpoint.enabled:
        raise ActionRefused(f"{delivery.endpoint.name} is switched off; switch it on to redeliver.")
    webhook.redeliver(delivery)
