"""API keys, for administrators: the list (with last use), make one (its token shown once), revoke one."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.api import keys
from dockline.api.models import ApiKey
from dockline.web import scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. \"ERP nightly export\".")
    writable = forms.BooleanField(required=False, label="Read-write",
                                  help_text="Off: the key can only read. On: it can also change things.")
    merchants = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                                               help_text="None ticked: every merchant.")

    def __init__(self, *args, merchants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchants"].queryset = merchants


def _keys(request):
    permissions.require(permissions.can_manage_people(request.user))
    return ApiKey.objects.filter(organization=scope.viewer(request.user).organization).prefetch_related("merchants")


@login_required
def api_keys(request):
    rows = _keys(request)
    form = ApiKeyForm(merchants=scope.merchants(request.user))
    token = request.session.pop("new_api_token", "")
    return render(request, "web/api_keys.html", {"keys": rows, "form": form, "token": token})


@require_POST
@login_required
def api_key_create(request):
    _keys(request)
    form = ApiKeyForm(request.POST, merchants=scope.merchants(request.user))
    if not form.is_valid():
        messages.error(request, "The key needs a name (and only this organization's merchants).")
        return redirect("api_keys")
    try:
        key, token = keys.issue_key(scope.viewer(request.user).organization, form.cleaned_data["name"],
                                    writable=form.cleaned_data["writable"], merchants=form.cleaned_data["merchants"],
                                    created_by=request.user)
    except keys.KeyRefused as exc:
        messages.error(request, str(exc))
        return redirect("api_keys")
    request.session["new_api_token"] = token  # shown once, on the page the redirect lands on
    messages.success(request, f"Key {key} made. Copy it now: it is not shown again.")
    return redirect("api_keys")


@require_POST
@login_required
def api_key_revoke(request, pk: int):
    key = get_object_or_404(_keys(request), pk=pk)
    keys.revoke_key(key)
    messages.success(request, f"Key {key} revoked; requests with it are refused from now on.")
    return redirect("api_keys")
