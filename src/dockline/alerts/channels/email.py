"""Alert mail through Django's SMTP settings (EMAIL_HOST ... from the environment).

Every message says what happened, to which connection, what to do, and links to the page.
Without EMAIL_HOST nothing is mailed and the dashboard's alerts page is the only channel.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail

from dockline.alerts.models import Alert, AlertPolicy

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(settings.EMAIL_HOST)


def link(path: str) -> str:
    return f"{settings.PUBLIC_URL}{path}"


def alert_message(alert: Alert, *, closed: bool = False) -> tuple[str, str]:
    """(subject, body) of the mail for an alert opened, or closed by itself."""
    where = alert.connection.name if alert.connection else "Dockline"
    if closed:
        subject = f"[Dockline] Resolved: {alert.title}"
        body = (f"Resolved: {alert.title}\n\nConnection: {where}\n\n{alert.closed_reason}\n\n"
                f"Alert: {link('/alerts/?state=closed')}\n")
        return subject, body
    subject = f"[Dockline] {alert.title}"
    body = (f"What happened: {alert.title}\n\nConnection: {where}\n\n{alert.detail}\n\n"
            f"What to do: {alert.todo}\n\nGo to the page: {link(alert.path)}\n"
            f"All alerts: {link('/alerts/')}\n\n"
            f"First seen {alert.first_seen:%Y-%m-%d %H:%M} UTC. Dockline mails once per cause; it closes the alert "
            f"(and tells you) when the cause has not been seen for {alert.policy.auto_close_hours} hours.\n")
    return subject, body


def send_alert(alert: Alert, *, closed: bool = False) -> str:
    """Mail the alert to its policy's recipients; returns why it could not go ("" when it went or had no one)."""
    policy = alert.policy
    recipients = policy.recipient_list()
    if not (policy.email and recipients and mail_configured()):
        return ""
    subject, body = alert_message(alert, closed=closed)
    return _send(subject, body, recipients)


def send_digest(policy: AlertPolicy, alerts: list[Alert], now: datetime) -> str:
    """The daily summary for each recipient of `policy`: what is open, and what opened or closed today."""
    recipients = policy.recipient_list()
    if not (recipients and mail_configured()):
        return ""
    lines = [f"Dockline alerts for {policy.organization.name}, {now:%Y-%m-%d %H:%M} UTC", ""]
    for alert in alerts:
        lines.append(f"- [{alert.get_state_display()}] {alert.title} (seen {alert.seen} times, last "
                     f"{alert.last_seen:%Y-%m-%d %H:%M}): {link(alert.path)}")
    if not alerts:
        lines.append("Nothing opened, closed or open in the last 24 hours.")
    lines += ["", f"All alerts: {link('/alerts/')}"]
    return _send(f"[Dockline] Daily alert summary: {len(alerts)} alert(s)", "\n".join(lines) + "\n", recipients)


def _send(subject: str, body: str, recipients: list[str]) -> str:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("could not mail %r: %s", subject, exc)
        return f"the mail server refused or could not be reached ({type(exc).__name__}: {exc})"
    return ""
