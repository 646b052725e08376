"""People: administrators invite members, change their roles, deactivate them and send password links.

Every page but the two link pages (accepting an invitation, choosing a new password) is for
administrators of the signed-in user's organization; anyone else, and another organization's
people, answer 404. The work is done by dockline.accounts.services and dockline.accounts.invites.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from dockline.accounts import invites, permissions, services
from dockline.accounts.models import Invitation, Membership, Merchant, Organization, Role

LINK = "people_link"  # the session key of a link shown once


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STAFF)
    merchants = forms.ModelMultipleChoiceField(
        queryset=Merchant.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Staff and merchant users see only these merchants; administrators see all.")

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchants"].queryset = organization.merchants.all()

    def chosen(self) -> tuple[Role, tuple[str, ...]]:
        return Role(self.cleaned_data["role"]), tuple(m.name for m in self.cleaned_data["merchants"])


class InviteForm(RoleForm):
    email = forms.EmailField(label="Email address", widget=forms.TextInput(
        attrs={"inputmode": "email", "autocomplete": "off"}))
    field_order = ["email", "role", "merchants"]


class PasswordForm(forms.Form):
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            raise forms.ValidationError("The two passwords differ: type the same one twice.")
        return cleaned


class AcceptForm(PasswordForm):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()],
                               help_text="Letters, digits and @ . + - _ only; you log in with it.")
    field_order = ["username", "password1", "password2"]


def _organization(request) -> Organization:
    permissions.require(permissions.can_manage_people(request.user))
    return permissions.membership(request.user).organization


def _member(request, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user", "organization"),
                             organization=_organization(request), pk=pk)


def _show_once(request, sent: invites.Sent, who: str, what: str) -> None:
    """Say whether the link was mailed; if not, keep it for the next People page only."""
    if sent.mailed:
        messages.success(request, f"{what} was mailed to {who}.")
        return
    request.session[LINK] = {"who": who, "what": what, "link": sent.link}
    if sent.problem:
        messages.warning(request, f"{what} for {who} could not be mailed: {sent.problem}. "
                                  f"Copy the link below and send it yourself.")
    else:
        messages.success(request, f"{what} for {who} is ready. Copy the link below and send it to them: "
                                  f"it is shown only this once.")


def _page(request, org: Organization, form: InviteForm):
    members = (Membership.objects.filter(organization=org).select_related("user")
               .prefetch_related("merchants").order_by("user__username"))
    rows = [(m, RoleForm(organization=org, auto_id=f"id_m{m.pk}_%s",
                         initial={"role": m.role, "merchants": list(m.merchants.all())})) for m in members]
    pending = (org.invitations.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
               .select_related("invited_by").prefetch_related("merchants"))
    return render(request, "web/people/people.html", {
        "rows": rows, "pending": pending, "form": form,
        "link": request.session.pop(LINK, None), "mail": invites.mail_configured(),
    })


@login_required
def people(request):
    org = _organization(request)
    return _page(request, org, InviteForm(organization=org))


@require_POST
@login_required
def invite(request):
    """Invite by email; a form that is not right comes back with what to fix."""
    org = _organization(request)
    form = InviteForm(request.POST, organization=org)
    if form.is_valid():
        role, merchants = form.chosen()
        try:
            invitation, sent = invites.invite(org, form.cleaned_data["email"], role, merchants,
                                              invited_by=request.user)
        except services.AccountRefused as exc:
            form.add_error(None, str(exc))
        else:
            _show_once(request, sent, invitation.email, "The invitation")
            return redirect("people")
    return _page(request, org, form)


@require_POST
@login_required
def revoke(request, pk: int):
    invitation = get_object_or_404(Invitation, organization=_organization(request), pk=pk)
    try:
        invites.revoke_invitation(invitation)
    except services.AccountRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation for {invitation.email} is withdrawn: its link no longer works.")
    return redirect("people")


@require_POST
@login_required
def set_role(request, pk: int):
    member = _member(request, pk)
    form = RoleForm(request.POST, organization=member.organization)
    if not form.is_valid():
        messages.error(request, "Choose a role, and merchants from the list.")
        return redirect("people")
    role, merchants = form.chosen()
    try:
        member = services.set_role(member.organization.name, member.user.username, role, merchants)
    except services.AccountRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member.user.username} is now {member.get_role_display().lower()}.")
        if member.user == request.user and role != Role.ADMIN:
            return redirect("home")  # the People page is for administrators only
    return redirect("people")


@require_POST
@login_required
def deactivate(request, pk: int):
    member = _member(request, pk)
    try:
        services.deactivate_user(member.organization.name, member.user.username)
    except services.AccountRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member.user.username} can no longer log in; their history stays. "
                                  f"Reactivate them to let them back in.")
    return redirect("people")


@require_POST
@login_required
def reactivate(request, pk: int):
    member = _member(request, pk)
    services.reactivate_user(member.organization.name, member.user.username)
    messages.success(request, f"{member.user.username} can log in again, as {member.get_role_display().lower()}.")
    return redirect("people")


@require_POST
@login_required
def send_reset(request, pk: int):
    member = _member(request, pk)
    _show_once(request, invites.send_reset(member), member.user.username, "A link to choose a new password")
    return redirect("people")


@sensitive_post_parameters("password1", "password2")
def accept(request, token: str):
    try:
        invitation = invites.open_invitation(token)
    except services.AccountRefused as exc:
        return render(request, "web/people/link_refused.html", {"problem": str(exc)}, status=410)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = invites.accept_invitation(token, data["username"], data["password1"])
        except services.AccountRefused as exc:
            form.add_error(None, str(exc))
        else:
            login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {member.organization.name}: you are "
                                      f"{member.get_role_display().lower()}.")
            return redirect("home")
    return render(request, "web/people/accept.html", {"form": form, "invitation": invitation})


@sensitive_post_parameters("password1", "password2")
def reset_password(request, uidb64: str, token: str):
    try:
        user = invites.reset_user(uidb64, token)
    except services.AccountRefused as exc:
        return render(request, "web/people/link_refused.html", {"problem": str(exc)}, status=410)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invites.reset_password(uidb64, token, form.cleaned_data["password1"])
        except services.AccountRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Your new password is set: log in as {user.username} with it.")
            return redirect("login")
    return render(request, "web/people/reset.html", {"form": form, "person": user})
