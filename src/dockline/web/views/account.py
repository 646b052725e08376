"""Log in (throttled), log out, change password, and the account page (time zones)."""
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from dockline.accounts import permissions, services
from dockline.accounts.throttle import ThrottledAuthenticationForm
from dockline.web.forms import TimeZoneForm

login = auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name="web/password_change.html", success_url=reverse_lazy("password_change_done"))
password_change_done = auth_views.PasswordChangeDoneView.as_view(template_name="web/password_change_done.html")


@login_required
def account(request):
    """Your time zone (and, for administrators, the organization's); a link to change the password."""
    membership = permissions.membership(request.user)
    org = membership.organization
    initial = {"time_zone": membership.time_zone, "organization_time_zone": org.time_zone}
    form = TimeZoneForm(request.POST or None, initial=initial, organization_zone=org.time_zone,
                        is_admin=membership.is_admin)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.set_time_zones(membership, own=data["time_zone"],
                                organization=data.get("organization_time_zone") if membership.is_admin else None)
        messages.success(request, f"Saved: times show in {membership.effective_time_zone}.")
        return redirect("account")
    return render(request, "web/account.html", {"form": form, "membership": membership})
