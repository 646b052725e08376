"""People and organizations: the first administrator, users and their roles, the one-time setup code.

The CLI (`dockline createadmin`, `dockline users ...`) and the setup page call these; they refuse with
`AccountRefused` in words the operator can act on.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dockline.accounts.models import Membership, Merchant, Organization, Role, SetupToken, valid_time_zone

SETUP_TOKEN_LIFETIME = timedelta(hours=24)


class AccountRefused(Exception):
    """The request cannot be carried out; the message says why and what to do."""


@dataclass(frozen=True)
class UserRow:
    username: str
    email: str
    organization: str
    role: Role | None
    merchants: tuple[str, ...]
    active: bool
    last_login: str

    def as_dict(self) -> dict:
        return {"username": self.username, "email": self.email, "organization": self.organization,
                "role": self.role.value if self.role else None, "merchants": list(self.merchants),
                "active": self.active, "last_login": self.last_login}


def check_password(password: str, username: str = "", email: str = "") -> None:
    """Django's password validators, as one AccountRefused naming every problem."""
    if not password:
        raise AccountRefused("A password is needed.")
    try:
        validate_password(password, get_user_model()(username=username, email=email))
    except ValidationError as exc:
        raise AccountRefused("The password is not accepted: " + " ".join(exc.messages)) from None


def create_admin(organization: str, username: str, email: str, password: str) -> Membership:
    """The organization (created when new) and an administrator in it."""
    organization = organization.strip()
    if not organization:
        raise AccountRefused("Give the organization a name, e.g. your company's.")
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name=organization)
        return add_user(org.name, username, email, Role.ADMIN, password)


def add_user(organization: str, username: str, email: str, role: Role, password: str,
             merchants: tuple[str, ...] = ()) -> Membership:
    """A new user with a role in the organization; staff and merchant users see only their merchants.

    A user who exists but belongs to no organization joins this one (with the password given).
    """
    org = find_organization(organization)
    username = username.strip()
    if not username:
        raise AccountRefused("A username is needed.")
    users = get_user_model().objects
    user = users.filter(username__iexact=username).first()
    if user is not None and Membership.objects.filter(user=user).exists():
        raise AccountRefused(f"There is already a user {user.username!r}: choose another username, "
                             f"or change theirs with `dockline users set-role`.")
    chosen = pick_merchants(org, role, merchants)
    check_password(password, username, email)
    with transaction.atomic():
        if user is None:
            user = users.create_user(username, email=email.strip(), password=password)
        else:  # an account in no organization (a superuser made by hand): it joins, with this password
            user.set_password(password)
            user.email = email.strip() or user.email
            user.is_active = True
            user.save()
        membership = Membership.objects.create(user=user, organization=org, role=role)
        membership.merchants.set(chosen)
    return membership


def set_role(organization: str, username: str, role: Role, merchants: tuple[str, ...] = ()) -> Membership:
    """Change a member's role (and merchants); the last active administrator cannot be demoted."""
    membership = _member(organization, username)
    chosen = pick_merchants(membership.organization, role, merchants)
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _keep_an_admin(membership)
    with transaction.atomic():
        membership.role = role
        membership.save(update_fields=["role"])
        membership.merchants.set(chosen)
    return membership


def deactivate_user(organization: str, username: str) -> Membership:
    """The user can no longer log in; their history stays. The last active administrator stays active."""
    membership = _member(organization, username)
    if membership.role == Role.ADMIN:
        _keep_an_admin(membership)
    user = membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    return membership


def reactivate_user(organization: str, username: str) -> Membership:
    """A deactivated user can log in again, with their role and merchants as they were."""
    membership = _member(organization, username)
    user = membership.user
    user.is_active = True
    user.save(update_fields=["is_active"])
    return membership


def list_users(organization: str | None = None) -> list[UserRow]:
    """Every user (in one organization when named), including those in no organization."""
    users = get_user_model().objects.order_by("username").select_related("membership__organization")
    if organization:
        users = users.filter(membership__organization=find_organization(organization))
    rows = []
    for user in users.prefetch_related("membership__merchants"):
        membership = getattr(user, "membership", None)
        rows.append(UserRow(
            username=user.username, email=user.email,
            organization=membership.organization.name if membership else "",
            role=Role(membership.role) if membership else None,
            merchants=tuple(m.name for m in membership.merchants.all()) if membership else (),
            active=user.is_active,
            last_login=user.last_login.strftime("%Y-%m-%d %H:%M UTC") if user.last_login else "",
        ))
    return rows


def find_organization(name: str | None) -> Organization:
    """The named organization, or the only one when no name is given."""
    if name:
        org = Organization.objects.filter(name__iexact=name.strip()).first()
        if org is None:
            known = ", ".join(Organization.objects.values_list("name", flat=True)) or "none yet"
            raise AccountRefused(f"There is no organization {name!r} (organizations: {known}).")
        return org
    orgs = list(Organization.objects.all()[:2])
    if not orgs:
        raise AccountRefused("There is no organization yet: create it with `dockline createadmin`.")
    if len(orgs) > 1:
        raise AccountRefused("There are several organizations: say which with --organization.")
    return orgs[0]


def _member(organization: str | None, username: str) -> Membership:
    org = find_organization(organization)
    membership = (Membership.objects.select_related("user", "organization")
                  .filter(organization=org, user__username__iexact=username.strip()).first())
    if membership is None:
        raise AccountRefused(f"{org.name} has no user {username!r}: `dockline users list` shows who there is.")
    return membership


def pick_merchants(org: Organization, role: Role, names: tuple[str, ...]) -> list[Merchant]:
    """The named merchants of the organization for a role; administrators have none, the others need one."""
    if role == Role.ADMIN:
        return []
    if not names:
        raise AccountRefused(f"A {Role(role).label.lower()} sees only the merchants they are given: "
                             f"choose at least one (on the command line: --merchant).")
    found = {m.name.casefold(): m for m in org.merchants.all()}
    missing = [n for n in names if n.strip().casefold() not in found]
    if missing:
        known = ", ".join(m.name for m in found.values()) or "none yet: they are added with their first connection"
        raise AccountRefused(f"{org.name} has no merchant {', '.join(map(repr, missing))} (merchants: {known}).")
    return [found[n.strip().casefold()] for n in names]


def _keep_an_admin(membership: Membership) -> None:
    others = Membership.objects.filter(organization=membership.organization, role=Role.ADMIN,
                                       user__is_active=True).exclude(pk=membership.pk)
    if not others.exists():
        raise AccountRefused(f"{membership.user.username} is the last active administrator of "
                             f"{membership.organization.name}: make someone else an administrator first.")


def needs_setup() -> bool:
    """A fresh install: nobody can log in to an organization yet."""
    return not Organization.objects.exists()


def issue_setup_token() -> str:
    """A new one-time setup code (only its hash is stored), valid for SETUP_TOKEN_LIFETIME."""
    token = secrets.token_urlsafe(18)
    SetupToken.objects.filter(created_at__lt=timezone.now() - SETUP_TOKEN_LIFETIME).delete()
    SetupToken.objects.create(digest=_digest(token))
    return token


def redeem_setup_token(token: str, organization: str, username: str, email: str, password: str) -> Membership:
    """Create the first organization and administrator with a setup code; every code stops working."""
    with transaction.atomic():
        fresh = SetupToken.objects.filter(digest=_digest(token.strip()),
                                          created_at__gte=timezone.now() - SETUP_TOKEN_LIFETIME)
        if not token.strip() or not list(fresh.select_for_update()):  # a second try waits, then finds none
            raise AccountRefused("That setup code is not valid: use the one `dockline serve` printed last, "
                                 "or run `dockline createadmin`.")
        if not needs_setup():
            raise AccountRefused("Dockline is set up already: log in, or ask an administrator for an account.")
        membership = create_admin(organization, username, email, password)
        SetupToken.objects.all().delete()
    return membership


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_time_zones(membership: Membership, *, own: str, organization: str | None = None) -> None:
    """Set the person's own time zone ("" follows the organization's) and, when `organization` is given
    (administrators), the organization's. Names are checked (`valid_time_zone`)."""
    for name in (own, organization or ""):
        valid_time_zone(name)
    with transaction.atomic():
        membership.time_zone = own
        membership.save(update_fields=["time_zone"])
        if organization:
            org = membership.organization
            org.time_zone = organization
            org.save(update_fields=["time_zone"])
