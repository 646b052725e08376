"""Alerts: the open, acknowledged and closed alerts the key sees, and acknowledging one with a note.

The same alerts as the dashboard's Alerts page, acknowledged by `alerts/actions.py` as a person does there.
"""
from __future__ import annotations

from ninja import Field, Query, Router, Schema

from dockline.alerts import actions
from dockline.alerts.status import AlertState
from dockline.api import cursor as keyset
from dockline.api import scope
from dockline.api.schemas import AcknowledgeIn, AlertOut, AlertPage

router = Router(tags=["alerts"])


class AlertFilters(Schema):
    state: AlertState | None = Field(None, description="open, acknowledged or closed")
    cursor: str | None = None
    limit: int = 50


@router.get("/alerts", response=AlertPage)
def list_alerts(request, filters: Query[AlertFilters]):
    """Newest seen first."""
    alerts = scope.alerts(request.auth)
    if filters.state:
        alerts = alerts.filter(state=filters.state)
    items, next_cursor = keyset.page(alerts, "last_seen", filters.cursor, max(1, min(filters.limit, keyset.MAX_LIMIT)))
    return {"items": items, "next_cursor": next_cursor}


@router.get("/alerts/{alert_id}", response=AlertOut)
def get_alert(request, alert_id: int):
    return scope.alert(request.auth, alert_id)


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut, operation_id="acknowledge_alert")
def acknowledge_alert(request, alert_id: int, body: AcknowledgeIn):
    """Say someone is on it; the note says what they do (the key's name is added). It stays until its cause
    clears."""
    alert = scope.alert(request.auth, alert_id)
    actions.acknowledge(alert, None, f"{body.note.strip()} ({request.auth.actor.label})")
    return alert
