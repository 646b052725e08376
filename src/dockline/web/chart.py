"""Orders per day by status as stacked bars, drawn server-side as inline SVG (no script).

Days are the reader's days (the active time zone), and each is labelled with its weekday, day and month
("Mon 30 Nov"), so the axis never reads as if a number were today.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from dockline.orders.status import OrderStatus

COLORS = {
    "new": "#9fb3c8", "queued": "#647acb", "open": "#2bb0ed", "cancel_requested": "#9446ed", "partially_shipped": "#f7c948",
    "shipped": "#f0b429", "closed": "#3ebd93", "delayed": "#f9703e", "error": "#e12d39",
    "failed": "#ab091e", "canceled": "#7b8794", "skipped": "#bcccdc", "archived": "#829ab1",
    "pending": "#8662c7", "bundled": "#40c3f7", "abandoned": "#de911d",
}
WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 720, 190, 34, 22, 22, 8  # RIGHT: room for the last day's label


def day_label(day: date) -> str:
    """A day as the axis and tooltips show it: "Mon 30 Nov"."""
    return f"{day:%a} {day.day} {day:%b}"


def orders_per_day(orders, days: int = 14, today: date | None = None) -> dict:
    """Bars (one per day, oldest first) with stacked segments, the y-axis top and the legend."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, time.min))  # a range the placed_at index serves
    rows = (orders.filter(placed_at__gte=since).annotate(day=TruncDate("placed_at"))
            .values("day", "status").annotate(n=Count("id")))
    counts: dict[date, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["day"], {})[row["status"]] = row["n"]
    peak = max([sum(c.values()) for c in counts.values()] or [0])
    top = max(peak, 4)
    plot_h, slot = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT - RIGHT) / days
    bars, seen = [], set()
    for i in range(days):
        day = first + timedelta(days=i)
        x = LEFT + i * slot + slot * 0.15
        y = HEIGHT - BOTTOM
        segments = []
        for status in OrderStatus:
            n = counts.get(day, {}).get(status.value, 0)
            if not n:
                continue
            seen.add(status)
            h = n / top * plot_h
            y -= h
            segments.append({"y": round(y, 1), "h": round(h, 1), "color": COLORS[status.value],
                             "title": f"{day_label(day)}: {n} {status.label}"})
        bars.append({"x": round(x, 1), "w": round(slot * 0.7, 1), "segments": segments,
                     "label": day_label(day) if (days - 1 - i) % 2 == 0 or days <= 7 else "", "lx": round(x + slot * 0.35, 1),
                     "total": sum(counts.get(day, {}).values())})
    legend = [{"label": s.label, "color": COLORS[s.value]} for s in OrderStatus if s in seen]
    return {"bars": bars, "top": top, "width": WIDTH, "height": HEIGHT, "left": LEFT,
            "base": HEIGHT - BOTTOM, "top_y": TOP, "legend": legend, "zone": timezone.get_current_timezone_name(), "first": first, "last": today,
            "total": sum(sum(c.values()) for c in counts.values())}
