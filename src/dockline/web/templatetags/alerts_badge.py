"""{% alerts_badge %}: the header's link to the alerts page with the count of open alerts the user sees."""
from django import template

from dockline.accounts.permissions import NoMembership
from dockline.alerts.status import AlertState
from dockline.web import scope

register = template.Library()


@register.inclusion_tag("web/alerts/_header_badge.html", takes_context=True)
def alerts_badge(context):
    user = context["request"].user
    try:
        count = scope.alerts(user).filter(state=AlertState.OPEN).count()
    except NoMembership:
        count = None
    return {"open_alerts": count}
