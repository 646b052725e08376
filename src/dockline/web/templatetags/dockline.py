"""Small template helpers: tracking links and status badges."""
from __future__ import annotations

from urllib.parse import quote

from django import template

register = template.Library()

TRACKING = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FEDEX": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}


@register.filter
def tracking_url(number: str, carrier: str) -> str:
    """The carrier's public tracking page for a number, or '' when the carrier is not known."""
    pattern = TRACKING.get((carrier or "").strip().upper().replace(" ", ""))
    return pattern.format(quote(number)) if pattern and number else ""


@register.inclusion_tag("web/_badge.html")
def status_badge(order):
    return {"order": order}
