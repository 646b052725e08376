"""Invitations and password resets: one-time links an administrator sends, mailed or shown to copy.

An invitation keeps only its token's SHA-256 and works once, until settings.INVITE_DAYS have passed
or an administrator revokes it. A reset link is Django's password-reset token: it stops working as
soon as the password changes (or after PASSWORD_RESET_TIMEOUT). Links start with settings.PUBLIC_URL.
Mail goes out only when EMAIL_HOST is set; otherwise, or when the mail server refuses, the caller
shows the link once.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from dockline.accounts.models import Invitation, Membership, Organization, Role
from dockline.accounts.services import AccountRefused, add_user, check_password, pick_merchants

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    """A link and whether it was mailed; `problem` says why not when mail was tried and failed."""

    link: str
    mailed: bool
    problem: str = ""


def mail_configured() -> bool:
    return bool(settings.EMAIL_HOST)


def invite(organization: Organization, email: str, role: Role, merchants: tuple[str, ...] = (),
           invited_by=None, now=None) -> tuple[Invitation, Sent]:
    """A new invitation (mailed when SMTP is set up); the link is in the returned Sent and nowhere else."""
    now = now or timezone.now()
    email = email.strip()
    if not email:
        raise AccountRefused("An email address is needed: the invitation is sent there.")
    member = Membership.objects.filter(organization=organization, user__email__iexact=email).select_related("user").first()
    if member is not None:
        raise AccountRefused(f"{email} is already a member ({member.user.username}): change their role instead.")
    chosen = pick_merchants(organization, role, merchants)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization, email=email, role=role, digest=_digest(token), invited_by=invited_by,
            expires_at=now + timedelta(days=settings.INVITE_DAYS))
        invitation.merchants.set(chosen)
    link = settings.PUBLIC_URL + reverse("invite_accept", args=[token])
    who = invited_by.username if invited_by else "An administrator"
    sent = _send(email, f"You are invited to {organization.name} on Dockline",
                 f"{who} invites you to {organization.name} on Dockline as {Role(role).label.lower()}.\n\n"
                 f"Open this link to choose your username and password:\n{link}\n\n"
                 f"It works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n", link)
    return invitation, sent


def open_invitation(token: str, now=None) -> Invitation:
    """The pending invitation for a token; refuses in plain words when it is unknown, used, revoked or expired."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_related("organization").filter(digest=_digest(token.strip())).first()
    if invitation is None:
        raise AccountRefused("This invitation link is not valid: check that it was copied whole, "
                             "or ask your administrator for a new one.")
    if invitation.accepted_at is not None:
        raise AccountRefused("This invitation has been used already: log in with the username chosen then, "
                             "or ask your administrator for a new invitation.")
    if invitation.revoked_at is not None:
        raise AccountRefused("This invitation was withdrawn by an administrator: ask them for a new one.")
    if invitation.expires_at <= now:
        raise AccountRefused(f"This invitation expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC: "
                             f"ask your administrator for a new one.")
    return invitation


def accept_invitation(token: str, username: str, password: str, now=None) -> Membership:
    """The invitee becomes a member with the invitation's role and merchants; the link stops working."""
    now = now or timezone.now()
    username = username.strip()
    with transaction.atomic():
        Invitation.objects.select_for_update().filter(digest=_digest(token.strip())).first()  # a second try waits
        invitation = open_invitation(token, now)  # ... then refuses: the first one used it
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise AccountRefused(f"The username {username!r} is taken: choose another.")
        merchants = tuple(invitation.merchants.values_list("name", flat=True))
        membership = add_user(invitation.organization.name, username, invitation.email, Role(invitation.role),
                              password, merchants)
        invitation.accepted_at, invitation.accepted_by = now, membership.user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def revoke_invitation(invitation: Invitation, now=None) -> Invitation:
    """The link stops working; an accepted invitation cannot be taken back (deactivate the user instead)."""
    if invitation.accepted_at is not None:
        raise AccountRefused(f"The invitation for {invitation.email} was accepted already: "
                             f"deactivate that user instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def send_reset(membership: Membership) -> Sent:
    """A one-time link that lets the member choose a new password (mailed when SMTP is set up and they have an email)."""
    user = membership.user
    link = settings.PUBLIC_URL + reverse("password_reset", args=[
        urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)])
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    return _send(user.email, "Choose a new Dockline password",
                 f"An administrator of {membership.organization.name} lets you choose a new password "
                 f"for {user.username}:\n{link}\n\nIt works once, for {hours} hours.\n", link)


def reset_user(uidb64: str, token: str):
    """The user a reset link is for; refuses when it was used, has expired, or was never valid."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError):
        pk = None
    user = get_user_model().objects.filter(pk=pk).first() if pk is not None else None
    if user is None or not default_token_generator.check_token(user, token):
        raise AccountRefused("This password link does not work any more: it was used already or has expired. "
                             "Ask your administrator for a new one.")
    return user


def reset_password(uidb64: str, token: str, password: str):
    """Set the new password from a reset link; the link then stops working."""
    user = reset_user(uidb64, token)
    check_password(password, user.username, user.email)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def _send(to: str, subject: str, body: str, link: str) -> Sent:
    if not mail_configured():
        return Sent(link, mailed=False)
    if not to:
        return Sent(link, mailed=False, problem="there is no email address to send it to")
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Mail to %s through %s failed: %s", to, settings.EMAIL_HOST, exc)
        return Sent(link, mailed=False, problem=f"the mail server {settings.EMAIL_HOST} refused it ({exc})")
    return Sent(link, mailed=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
