"""Organizations (fulfillment providers), merchants, and who may see what."""
from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def valid_time_zone(name: str) -> None:
    """An IANA time zone name such as Europe/London (ValidationError otherwise)."""
    if name and name not in time_zones():
        raise ValidationError(f"'{name}' is not a time zone; choose one such as America/Chicago or Europe/London.")


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows, sorted (read once: it walks the zone files)."""
    return tuple(sorted(zoneinfo.available_timezones()))


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # Where the provider works: the times its people see unless they choose their own.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[valid_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Merchant(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="merchants")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="uniq_merchant_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    STAFF = "staff", "Staff"
    MERCHANT = "merchant", "Merchant user"


class Membership(models.Model):
    """A user's place in one organization: their role and, for staff and merchant users, their merchants."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)
    merchants = models.ManyToManyField(Merchant, blank=True, related_name="members")
    time_zone = models.CharField(max_length=64, blank=True, validators=[valid_time_zone],
                                 help_text="Empty: the organization's time zone.")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organization})"

    @property
    def effective_time_zone(self) -> str:
        """The time zone this person reads times in: their own choice, else the organization's."""
        return self.time_zone or self.organization.time_zone

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def visible_merchants(self):
        if self.role == Role.ADMIN:
            return self.organization.merchants.all()
        return self.merchants.filter(organization=self.organization)


class LoginFailure(models.Model):
    """Failed logins counted under one key (a username at an address, or an address), shared by every process."""

    key = models.CharField(max_length=300, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class SetupToken(models.Model):
    """A one-time code that lets whoever reads the server's terminal create the first administrator.

    Only its SHA-256 is kept; using one deletes them all.
    """

    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Invitation(models.Model):
    """A one-time link that makes whoever opens it a member with the role (and merchants) an administrator chose.

    Only the token's SHA-256 is kept; it stops working once accepted, revoked, or past `expires_at`.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    merchants = models.ManyToManyField(Merchant, blank=True, related_name="invitations")
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()}, {self.organization})"
