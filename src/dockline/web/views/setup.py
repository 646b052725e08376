"""The one-time setup page of a fresh install: the code printed by `dockline serve` creates the first administrator."""
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from dockline.accounts import services


class SetupForm(forms.Form):
    token = forms.CharField(label="Setup code (printed in the terminal by `dockline serve`)", max_length=100)
    organization = forms.CharField(label="Organization (your company)", max_length=200)
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            raise forms.ValidationError("The two passwords differ: type the same one twice.")
        return cleaned


@sensitive_post_parameters("token", "password1", "password2")
def setup(request):
    if not services.needs_setup():
        return redirect("login")
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.redeem_setup_token(data["token"], data["organization"], data["username"],
                                                     data["email"], data["password1"])
        except services.AccountRefused as exc:
            form.add_error(None, str(exc))
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"{membership.organization} is set up and you are its administrator.")
            return redirect("home")
    return render(request, "web/setup.html", {"form": form})
