"""What each role may do. Scoping of objects lives in dockline.web.scope; these are the verbs."""
from __future__ import annotations

from django.http import Http404

from dockline.accounts.models import Membership, Role


class NoMembership(Http404):
    """The signed-in user belongs to no organization: the dashboard says what to do (accounts.middleware)."""


def membership(user) -> Membership:
    try:
        return user.membership
    except (Membership.DoesNotExist, AttributeError):
        raise NoMembership("no organization") from None


def role(user) -> str:
    return membership(user).role


def can_manage_connections(user) -> bool:
    """Add connections, change their settings and mappings: administrators and staff."""
    return role(user) in (Role.ADMIN, Role.STAFF)


def can_delete_connections(user) -> bool:
    return role(user) == Role.ADMIN


def can_create_merchants(user) -> bool:
    return role(user) == Role.ADMIN


def can_manage_people(user) -> bool:
    """Invite people, change roles, deactivate, reset passwords: administrators."""
    return role(user) == Role.ADMIN


def can_manage_alerts(user) -> bool:
    """Change alert policies and webhook endpoints, redeliver: administrators."""
    return role(user) == Role.ADMIN


def require(allowed: bool) -> None:
    """Refuse as if the page did not exist: another role's action is not advertised."""
    if not allowed:
        raise Http404("not allowed")
