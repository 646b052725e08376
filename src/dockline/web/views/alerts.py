"""Alerts: the open / acknowledged / closed tabs and acknowledging with a note (everyone, on what they see);
alert policies and webhook endpoints with their delivery log (administrators).

The work is done by dockline.alerts.actions; forms read the input; every query starts in web.scope.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dockline.accounts import permissions
from dockline.alerts import actions
from dockline.alerts.events import KINDS
from dockline.alerts.models import AlertPolicy, Endpoint
from dockline.alerts.status import DEFAULTS, EXPLANATIONS, AlertState, Condition
from dockline.connections.services import ActionRefused
from dockline.web import scope

SECRET = "endpoint_secret"  # the session key of a new endpoint's secret, shown once


class AcknowledgeForm(forms.Form):
    note = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="What you are doing about it, for the others.")


@login_required
def alert_list(request):
    state = request.GET.get("state", AlertState.OPEN)
    state = AlertState(state) if state in AlertState.values else AlertState.OPEN
    found = scope.alerts(request.user).select_related("connection", "acknowledged_by")
    counts = {s: found.filter(state=s).count() for s in AlertState}
    return render(request, "web/alerts/alerts.html", {
        "alerts": found.filter(state=state)[:200], "state": state, "explanation": EXPLANATIONS[state],
        "tabs": [(s.value, s.label, counts[s]) for s in AlertState], "form": AcknowledgeForm(),
        "can_manage": permissions.can_manage_alerts(request.user),
    })


@login_required
@require_POST
def alert_acknowledge(request, pk: int):
    alert = get_object_or_404(scope.alerts(request.user), pk=pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a note saying what you are doing about it, so the others know.")
        return redirect(reverse("alerts"))
    try:
        actions.acknowledge(alert, request.user, form.cleaned_data["note"])
        messages.success(request, f"Acknowledged: {alert.title}.")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('alerts')}?state={AlertState.ACKNOWLEDGED.value}")


# -- administrators: policies ---------------------------------------------------------------------

class PolicyForm(forms.ModelForm):
    conditions = forms.MultipleChoiceField(choices=Condition.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = AlertPolicy
        fields = ["name", "enabled", "conditions", "merchants", "connections", "recipients", "email", "endpoints",
                  "auto_close_hours", "digest"]
        widgets = {"merchants": forms.CheckboxSelectMultiple, "connections": forms.CheckboxSelectMultiple,
                   "endpoints": forms.CheckboxSelectMultiple, "recipients": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"merchants": "None ticked: every merchant.", "connections": "None ticked: every connection.",
                      "recipients": "Email addresses, one per line.",
                      "auto_close_hours": "An alert closes by itself after this many hours without recurrence.",
                      "digest": "Also mail a daily summary to the recipients."}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchants"].queryset = scope.merchants(user)
        self.fields["connections"].queryset = scope.connections(user)
        self.fields["endpoints"].queryset = scope.endpoints(user)
        for condition in Condition:
            value, unit = DEFAULTS[condition]
            if unit:
                self.fields[f"t_{condition.value}"] = forms.FloatField(
                    label=f"{condition.label}: threshold ({unit})", min_value=0, initial=value,
                    required=False)
                if self.instance.pk and condition.value in self.instance.thresholds:
                    self.initial[f"t_{condition.value}"] = self.instance.thresholds[condition.value]

    def clean_recipients(self):
        addresses = self.cleaned_data["recipients"].replace(",", "\n").split()
        for address in addresses:
            forms.EmailField().clean(address)
        return "\n".join(addresses)

    def save(self, commit=True):
        policy = super().save(commit=False)
        policy.thresholds = {c.value: self.cleaned_data[f"t_{c.value}"] for c in Condition
                             if self.cleaned_data.get(f"t_{c.value}") is not None}
        policy.save()
        self.save_m2m()
        return policy


def _admin(request):
    permissions.require(permissions.can_manage_alerts(request.user))
    return permissions.membership(request.user).organization


@login_required
def policy_list(request):
    _admin(request)
    return render(request, "web/alerts/policies.html", {"policies": scope.policies(request.user)})


@login_required
def policy_edit(request, pk: int | None = None):
    organization = _admin(request)
    policy = get_object_or_404(scope.policies(request.user), pk=pk) if pk else AlertPolicy(organization=organization)
    form = PolicyForm(request.POST or None, instance=policy, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Policy {saved.name} saved.")
        return redirect("alert_policies")
    return render(request, "web/alerts/policy.html", {"form": form, "policy": policy})


# -- administrators: webhook endpoints ------------------------------------------------------------

class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=[(k, k) for k in KINDS], required=False,
                                       widget=forms.CheckboxSelectMultiple, help_text="None ticked: every event.")
    url = forms.URLField(label="Address (URL)", max_length=500, assume_scheme="https")

    class Meta:
        model = Endpoint
        fields = ["name", "url", "format", "events", "enabled"]


@login_required
def endpoint_list(request):
    organization = _admin(request)
    form = EndpointForm(request.POST or None, instance=Endpoint(organization=organization))
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint.secrets = {"secret": Endpoint.new_secret()}
        endpoint.save()
        request.session[SECRET] = {"id": endpoint.id, "secret": endpoint.secret}
        messages.success(request, f"Endpoint {endpoint.name} added. Copy its signing secret now: it is shown once.")
        return redirect("alert_endpoint", pk=endpoint.id)
    return render(request, "web/alerts/endpoints.html", {"endpoints": scope.endpoints(request.user), "form": form})


@login_required
def endpoint_detail(request, pk: int):
    _admin(request)
    endpoint = get_object_or_404(scope.endpoints(request.user), pk=pk)
    shown = request.session.pop(SECRET, None)
    return render(request, "web/alerts/endpoint.html", {
        "endpoint": endpoint, "secret": shown["secret"] if shown and shown["id"] == endpoint.id else "",
        "deliveries": endpoint.deliveries.select_related("event")[:100]})


@login_required
@require_POST
def delivery_redeliver(request, pk: int, delivery_id: int):
    _admin(request)
    endpoint = get_object_or_404(scope.endpoints(request.user), pk=pk)
    delivery = get_object_or_404(endpoint.deliveries, pk=delivery_id)
    try:
        actions.redeliver(delivery)
        messages.success(request, f"{delivery.event.kind} #{delivery.event_id} will be sent again within a minute.")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect("alert_endpoint", pk=endpoint.id)
