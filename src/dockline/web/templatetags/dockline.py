"""Small template helpers: times in the reader's time zone, when a channel runs next, tracking links, badges.

Times are UTC inside; `when` converts at the edge to the time zone the request activated
(`accounts.middleware.TimezoneMiddleware`) and keeps the UTC time on hover.
"""
from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from django import template
from django.template.defaultfilters import date as date_format
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timeuntil

from dockline.core import durations

register = template.Library()

TRACKING = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FEDEX": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}
WHEN_FORMAT = "D j M, H:i"


@register.filter
def when(value: datetime | None, fmt: str = WHEN_FORMAT):
    """`<time>` showing `value` in the active time zone, with its UTC time on hover; '' for None."""
    if not value:
        return ""
    utc = value.astimezone(UTC)
    return format_html('<time datetime="{}" title="{} UTC">{}</time>', utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       utc.strftime("%Y-%m-%d %H:%M:%S"), date_format(timezone.localtime(value), fmt))


@register.simple_tag
def next_run(row: dict, connection, now: datetime | None = None):
    """When a channel (a `web.summaries` channel row) runs next, in words and as a time."""
    channel = row["channel"]
    if not connection.enabled:
        return mark_safe('<span class="muted">not while the connection is disabled</span>')
    if not channel.enabled:
        return mark_safe('<span class="muted">off</span>')
    if row["running"]:
        return mark_safe('<span class="badge s-open">running now</span>')
    now = now or timezone.now()
    if channel.next_run_at <= now:
        return "due now"
    return format_html("in {} · {}", timeuntil(channel.next_run_at, now), when(channel.next_run_at, "H:i"))


@register.filter
def took(run) -> str:
    """How long a finished run took, in words ("2 seconds"); '' while it runs."""
    return durations.describe(run.finished_at - run.started_at) if run.finished_at else ""


@register.filter
def tracking_url(number: str, carrier: str) -> str:
    """The carrier's public tracking page for a number, or '' when the carrier is not known."""
    pattern = TRACKING.get((carrier or "").strip().upper().replace(" ", ""))
    return pattern.format(quote(number)) if pattern and number else ""


@register.inclusion_tag("web/_badge.html")
def status_badge(order):
    return {"order": order}
